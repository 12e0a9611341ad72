"""Market prices and quantities (ERCOT DAM, PJM day-ahead LMPs): the one write path into each table.

Rule: a later publication of an interval overwrites the stored one (prices and quantities are
re-published as corrections, never as preliminary values).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
from sqlalchemy import Connection

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
