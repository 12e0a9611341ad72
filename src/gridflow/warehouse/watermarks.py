"""Ingest watermarks: per (source, stream), the instant before which everything is loaded.

Written in the same transaction as the rows it covers, so the watermark can never claim data that
a crash lost, and never lag data that was committed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pandas as pd
from sqlalchemy import Connection, select
from sqlalchemy.dialects import postgresql, sqlite

from gridflow.warehouse.tables import ingest_watermark

# One row at a time, with its JSON details: a plain dialect upsert, no bulk COPY path needed.
_INSERTS = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}


def _as_utc(value: datetime) -> datetime:
    ts = pd.Timestamp(value)
    if ts.tzinfo is None:
        raise ValueError(f"watermark {value!r} is naive; pass a tz-aware time (e.g. in UTC)")
    return ts.tz_convert("UTC").to_pydatetime()


def get_watermark(conn: Connection, source: str, stream: str) -> datetime | None:
    """The stream's watermark as an aware UTC datetime, or None if it was never set."""
    t = ingest_watermark.c
    value = conn.execute(
        select(t.watermark_utc).where(t.source == source, t.stream == stream)
    ).scalar_one_or_none()
    return None if value is None else _as_utc(value)


def set_watermark(conn: Connection, source: str, stream: str, watermark_utc: datetime,
                  details: Any = None, *, force: bool = False) -> datetime:
    """Upsert the watermark; it never moves backwards unless `force`. Returns the stored value."""
    new = _as_utc(watermark_utc)
    values = {"source": source, "stream": stream, "watermark_utc": new, "details": details,
              "updated_at": datetime.now(UTC)}
    dialect = conn.dialect.name
    if dialect not in _INSERTS:
        raise NotImplementedError(f"watermarks support sqlite and postgresql, not {dialect!r}")
    stmt = _INSERTS[dialect](ingest_watermark).values(**values)
    t = ingest_watermark.c
    stmt = stmt.on_conflict_do_update(
        index_elements=[t.source, t.stream],
        set_={c: stmt.excluded[c] for c in ("watermark_utc", "details", "updated_at")},
        # The database decides, so two writers racing cannot move it back either.
        where=None if force else stmt.excluded.watermark_utc >= t.watermark_utc,
    )
    conn.execute(stmt)
    stored = get_watermark(conn, source, stream)
    assert stored is not None
    return stored
