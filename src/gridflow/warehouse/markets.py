"""Market prices and quantities (ERCOT DAM, PJM day-ahead LMPs): the one write path into each table.

Rule: a later publication of an interval overwrites the stored one (prices and quantities are
re-published as corrections, never as preliminary values).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, select

from gridflow.warehouse.loads import raw, utc_bound
from gridflow.warehouse.tables import market_price, market_quantity
from gridflow.warehouse.upsert import upsert_frame

PRICE_KEY = ["market", "node", "interval_start_utc"]
QUANTITY_KEY = ["market", "series", "interval_start_utc"]


def write_market_prices(conn: Connection, frame: pd.DataFrame, ingest_id: int | None) -> int:
    """Upsert a price frame (`market_price` columns) tagged with `ingest_id`; returns rows written."""
    return upsert_frame(conn, market_price, _tagged(frame, ingest_id), PRICE_KEY)


def write_market_quantities(conn: Connection, frame: pd.DataFrame, ingest_id: int | None) -> int:
    """Upsert a quantity frame (`market_quantity` columns) tagged with `ingest_id`; returns rows written."""
    return upsert_frame(conn, market_quantity, _tagged(frame, ingest_id), QUANTITY_KEY)


def _tagged(frame: pd.DataFrame, ingest_id: int | None) -> pd.DataFrame:
    return frame.assign(ingest_id=ingest_id, updated_at=datetime.now(UTC))


def read_market_prices(conn: Connection, market: str, nodes: list[str] | None = None,
                       start_utc: Any = None) -> pd.DataFrame:
    """`market_price` rows of `market` (only `nodes` when given) from `start_utc` on, without ingest
    columns, sorted by (node, interval_start_utc); times as the load reader returns them."""
    c = market_price.c
    dialect = conn.dialect.name
    stmt = select(c.market, c.node, raw(c.interval_start_utc, dialect).label("interval_start_utc"),
                  c.interval_minutes, raw(c.interval_start_local, dialect).label("interval_start_local"),
                  c.is_dst, c.price_usd_per_mwh).where(c.market == market)
    if nodes is not None:
        stmt = stmt.where(c.node.in_(nodes))
    start = utc_bound(start_utc, "start_utc")
    if start is not None:
        stmt = stmt.where(c.interval_start_utc >= start)
    result = conn.execute(stmt.order_by(c.node, c.interval_start_utc))
    try:
        rows = result.cursor.fetchall()  # plain tuples: see read_load_observations
    finally:
        result.close()
    market_, node, utc, minutes, local, dst, price = zip(*rows, strict=True) if rows else ((),) * 7
    return pd.DataFrame({
        "market": pd.array(market_, dtype="string"),
        "node": pd.array(node, dtype="string"),
        "interval_start_utc": pd.to_datetime(pd.Index(utc, dtype=object), utc=True, format="ISO8601").as_unit("ns"),
        "interval_minutes": np.array(minutes, dtype="int64"),
        "interval_start_local": pd.to_datetime(pd.Index(local, dtype=object), format="ISO8601").as_unit("ns"),
        "is_dst": np.array(dst, dtype=bool),
        "price_usd_per_mwh": np.array(price, dtype="float64"),
    })
