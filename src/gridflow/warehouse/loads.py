"""Hourly load observations: the one write path into `load_observation` (with its rule), and reads.

Rule: a frame that carries `is_verified` (PJM metered load, preliminary first and verified later)
never replaces a verified stored row with an unverified one. A frame without the flag (a file an
operator names, an ERCOT document) is authoritative and overwrites, leaving the stored flag as is.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, DateTime, String, false, literal_column, or_, select, true, type_coerce

from gridflow import frames
from gridflow.warehouse.tables import load_observation
from gridflow.warehouse.types import UTCDateTime
from gridflow.warehouse.upsert import upsert_frame

IS_VERIFIED = "is_verified"


def utc_bound(value: Any, name: str) -> datetime | None:
    """`value` as an aware UTC datetime (None stays None); ValueError for a naive time."""
    if value is None:
        return None
    ts = pd.Timestamp(value)
    if ts.tzinfo is None:
        raise ValueError(f"{name}={value!r} is naive; pass a tz-aware time (e.g. in UTC)")
    return ts.tz_convert("UTC").to_pydatetime()


def verified_wins(table: Any, excluded: Any) -> Any:
    """SQL condition for replacing a stored row: it is not verified, or the new one is."""
    return or_(table.c.is_verified.is_(None), table.c.is_verified == false(), excluded.is_verified == true())


def write_load_observations(conn: Connection, frame: pd.DataFrame, ingest_id: int | None) -> int:
    """Upsert a canonical load frame (`frames.LOAD_COLUMNS`, optionally `is_verified`) tagged with
    `ingest_id` under the module's rule; returns rows written (rows the rule kept are not counted).
    Re-writing the same observations is idempotent; changed values overwrite."""
    missing = [c for c in frames.LOAD_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"load frame lacks column(s) {missing}; expected {frames.LOAD_COLUMNS}")
    # A clear message here beats the driver's NOT NULL violation naming one arbitrary row.
    nulls = [c for c in frames.LOAD_COLUMNS if frame[c].isna().any()]
    if nulls:
        raise ValueError(f"load frame has missing values in column(s) {nulls}")
    flagged = IS_VERIFIED in frame.columns
    out = frame.loc[:, [*frames.LOAD_COLUMNS, IS_VERIFIED] if flagged else frames.LOAD_COLUMNS].copy()
    out[frames.IS_DST] = out[frames.IS_DST].astype(bool)
    out[frames.LOAD_MW] = out[frames.LOAD_MW].astype("float64")
    out["ingest_id"] = ingest_id
    out["updated_at"] = datetime.now(UTC)
    return upsert_frame(conn, load_observation, out, frames.LOAD_KEY,
                        update_where=verified_wins if flagged else None)


def raw(column: Any, dialect: str) -> Any:
    # Skip per-value type processing: whole columns are converted by pandas below, which is what
    # keeps reading 150k rows well under a second.
    if dialect == "sqlite":
        return type_coerce(column, String())
    if isinstance(column.type, UTCDateTime):
        # Naive UTC from the server: pandas converts aware datetime objects ~10x slower.
        return type_coerce(
            type_coerce(column, DateTime(timezone=True)).op("AT TIME ZONE")(literal_column("'UTC'")),
            DateTime(),
        )
    return type_coerce(column, DateTime())


def read_load_observations(
    conn: Connection,
    zone: str | None = None,
    start_utc: Any = None,
    end_utc: Any = None,
) -> pd.DataFrame:
    """Canonical load frame for `zone` (all zones if None) over [start_utc, end_utc), sorted by
    (zone, interval_start_utc). Bounds must be tz-aware; either may be None for open-ended."""
    c = load_observation.c
    dialect = conn.dialect.name
    stmt = select(
        c.zone,
        raw(c.interval_start_utc, dialect).label(frames.INTERVAL_START_UTC),
        raw(c.interval_start_local, dialect).label(frames.INTERVAL_START_LOCAL),
        c.is_dst,
        c.load_mw,
    )
    if zone is not None:
        stmt = stmt.where(c.zone == zone)
    start = utc_bound(start_utc, "start_utc")
    end = utc_bound(end_utc, "end_utc")
    if start is not None:
        stmt = stmt.where(c.interval_start_utc >= start)
    if end is not None:
        stmt = stmt.where(c.interval_start_utc < end)
    stmt = stmt.order_by(c.zone, c.interval_start_utc)

    result = conn.execute(stmt)
    try:
        # Plain driver tuples: the selected columns need no SQLAlchemy result processing, and
        # skipping Row objects roughly halves the time to read 150k rows.
        rows = result.cursor.fetchall()
    finally:
        result.close()
    if not rows:
        return frames.empty_load_frame()
    zones, utc, local, dst, mw = zip(*rows, strict=True)
    # Instants arrive as naive UTC: text from SQLite, datetimes from PostgreSQL; ISO8601 parsing
    # covers both. pandas 3 would infer microseconds; the contract says nanoseconds.
    utc_index = pd.to_datetime(pd.Index(utc, dtype=object), utc=True, format="ISO8601")
    local_index = pd.to_datetime(pd.Index(local, dtype=object), format="ISO8601")
    return pd.DataFrame(
        {
            frames.ZONE: pd.array(zones, dtype="string"),
            frames.INTERVAL_START_UTC: utc_index.as_unit("ns"),
            frames.INTERVAL_START_LOCAL: local_index.as_unit("ns"),
            frames.IS_DST: np.array(dst, dtype=bool),
            frames.LOAD_MW: np.array(mw, dtype="float64"),
        }
    )
