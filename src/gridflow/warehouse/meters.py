"""Smart-meter intervals: write canonical meter frames with the revision rule, read them back.

Revision rule (applied by the database, per row): a row from a later ingest replaces the stored
one, except that an estimate never replaces an actual reading. Re-loading an older batch (lower
ingest id) never overwrites a newer one.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, and_, or_, select, true

from gridflow.sources.meters.frame import METER_COLUMNS, METER_KEY, empty_meter_frame
from gridflow.warehouse.loads import raw, utc_bound
from gridflow.warehouse.tables import meter_interval
from gridflow.warehouse.upsert import upsert_frame


def revision_rule(table: Any, excluded: Any) -> Any:
    """SQL condition for replacing a stored interval: newer ingest, and not actual -> estimate."""
    newer = or_(table.c.ingest_id.is_(None), excluded.ingest_id.is_(None),
                excluded.ingest_id >= table.c.ingest_id)
    not_downgrade = or_(table.c.is_estimated == true(), excluded.is_estimated != true())
    return and_(newer, not_downgrade)


def write_meter_intervals(conn: Connection, frame: pd.DataFrame, ingest_id: int | None) -> int:
    """Upsert a canonical meter frame tagged with `ingest_id` under the revision rule; returns rows
    inserted or replaced (rows kept by the rule are not counted)."""
    missing = [c for c in METER_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"meter frame lacks column(s) {missing}; expected {METER_COLUMNS}")
    nulls = [c for c in METER_COLUMNS if frame[c].isna().any()]
    if nulls:
        raise ValueError(f"meter frame has missing values in column(s) {nulls}")
    out = frame.loc[:, METER_COLUMNS].copy()
    out["ingest_id"] = ingest_id
    out["updated_at"] = datetime.now(UTC)
    return upsert_frame(conn, meter_interval, out, METER_KEY, update_where=revision_rule)


def read_meter_intervals(
    conn: Connection,
    meter_id: str | None = None,
    channel: str | None = None,
    start_utc: Any = None,
    end_utc: Any = None,
) -> pd.DataFrame:
    """Canonical meter frame plus `ingest_id`, filtered by meter, channel and [start_utc, end_utc),
    sorted by key. Bounds must be tz-aware; either may be None for open-ended."""
    c = meter_interval.c
    dialect = conn.dialect.name
    stmt = select(c.meter_id, c.channel, raw(c.interval_start_utc, dialect), c.interval_minutes,
                  raw(c.interval_start_local, dialect), c.is_dst, c.kwh, c.is_estimated, c.ingest_id)
    if meter_id is not None:
        stmt = stmt.where(c.meter_id == meter_id)
    if channel is not None:
        stmt = stmt.where(c.channel == channel)
    start, end = utc_bound(start_utc, "start_utc"), utc_bound(end_utc, "end_utc")
    if start is not None:
        stmt = stmt.where(c.interval_start_utc >= start)
    if end is not None:
        stmt = stmt.where(c.interval_start_utc < end)
    stmt = stmt.order_by(c.meter_id, c.channel, c.interval_start_utc)
    result = conn.execute(stmt)
    try:
        rows = result.cursor.fetchall()  # plain tuples: see loads.read_load_observations
    finally:
        result.close()
    if not rows:
        frame = empty_meter_frame()
        frame["ingest_id"] = pd.Series(dtype="Int64")
        return frame
    meter, chan, utc, minutes, local, is_dst, kwh, est, ingest = zip(*rows, strict=True)
    return pd.DataFrame({
        "meter_id": pd.array(meter, dtype="string"),
        "channel": pd.array(chan, dtype="string"),
        "interval_start_utc": pd.to_datetime(pd.Index(utc, dtype=object), utc=True, format="ISO8601").as_unit("ns"),
        "interval_minutes": np.array(minutes, dtype="int64"),
        "interval_start_local": pd.to_datetime(pd.Index(local, dtype=object), format="ISO8601").as_unit("ns"),
        "is_dst": np.array(is_dst, dtype=bool),
        "kwh": np.array(kwh, dtype="float64"),
        "is_estimated": np.array(est, dtype=bool),
        "ingest_id": pd.array(ingest, dtype="Int64"),
    })
