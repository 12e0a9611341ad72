"""Smart-meter intervals: write canonical meter frames with the revision rule, read them back.

Revision rule (applied by the database, per row): a row from a later ingest replaces the stored
one, except that an estimate never replaces an actual reading. Re-loading an older batch (lower
ingest id) never overwrites a newer one.

Most files bring intervals the warehouse has never seen (the next month of a meter, a new meter).
On PostgreSQL such a file is appended with one COPY straight into `meter_interval`; the upsert
with the revision rule (staging table + INSERT ... ON CONFLICT) runs only when some stored row of
the same meter and channel lies within the file's time span, where the rule has work to do.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, and_, false, literal, or_, select, true

from gridflow.sources.meters.frame import (
    CHANNEL,
    INTERVAL_START_UTC,
    METER_COLUMNS,
    METER_ID,
    METER_KEY,
    empty_meter_frame,
)
from gridflow.warehouse.ledger import LedgerError
from gridflow.warehouse.loads import raw, utc_bound
from gridflow.warehouse.pg_copy import EncodedRows, copy_encoded, copy_frame, encode_rows
from gridflow.warehouse.tables import ingest_ledger, meter_interval
from gridflow.warehouse.upsert import upsert_frame

# Beyond this many (meter, channel) series in one frame the overlap probe is not worth building:
# such frames take the upsert path, which is always correct.
_MAX_PROBED_SERIES = 200
_UNIQUE_VIOLATION = "23505"


def revision_rule(table: Any, excluded: Any) -> Any:
    """SQL condition for replacing a stored interval: newer ingest, and not actual -> estimate."""
    newer = or_(table.c.ingest_id.is_(None), excluded.ingest_id.is_(None),
                excluded.ingest_id >= table.c.ingest_id)
    not_downgrade = or_(table.c.is_estimated == true(), excluded.is_estimated != true())
    return and_(newer, not_downgrade)


@dataclass(frozen=True)
class PreparedMeterRows:
    """A canonical meter frame checked, with its per-series time spans and (PostgreSQL) its rows
    encoded for COPY: the write's pure work, done ahead of it by `prepare_meter_rows`."""

    frame: pd.DataFrame
    spans: list[tuple[str, str, datetime, datetime]] | None  # None: too many series to probe
    encoded: EncodedRows | None = None


def prepare_meter_rows(conn: Connection, frame: pd.DataFrame, encode: bool = True) -> PreparedMeterRows:
    """Check a canonical meter frame and do the pure part of writing it, e.g. on a thread that
    prepares the next file while another writes the current one; `conn` is only read from."""
    missing = [c for c in METER_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"meter frame lacks column(s) {missing}; expected {METER_COLUMNS}")
    nulls = [c for c in METER_COLUMNS if frame[c].isna().any()]
    if nulls:
        raise ValueError(f"meter frame has missing values in column(s) {nulls}")
    out = frame.loc[:, METER_COLUMNS]
    encoded = None
    if encode and conn.dialect.name == "postgresql" and len(out):
        # Example constants fix the slots' widths; the write patches in its own values.
        encoded = encode_rows(conn, meter_interval, out, {"ingest_id": 0, "updated_at": datetime.now(UTC)})
    return PreparedMeterRows(out, _series_spans(out), encoded)


def write_meter_intervals(conn: Connection, frame: pd.DataFrame | PreparedMeterRows, ingest_id: int | None) -> int:
    """Upsert a canonical meter frame (or one from `prepare_meter_rows`) tagged with `ingest_id`
    under the revision rule; returns rows inserted or replaced (rows kept by the rule are not
    counted)."""
    rows = frame if isinstance(frame, PreparedMeterRows) else prepare_meter_rows(conn, frame, encode=False)
    _hold_ledger_row(conn, ingest_id)
    constants = {"ingest_id": ingest_id, "updated_at": datetime.now(UTC)}
    if conn.dialect.name == "postgresql" and len(rows.frame) and not _stored_in_span(conn, rows.spans):
        try:
            # A savepoint: should another writer store an overlapping row after the probe, the
            # COPY fails on the primary key and the upsert below decides row by row instead.
            with conn.begin_nested():
                if rows.encoded is not None:
                    return copy_encoded(conn, rows.encoded, constants)
                return copy_frame(conn, meter_interval, rows.frame.assign(**constants))
        except Exception as exc:
            if _sqlstate(exc) != _UNIQUE_VIOLATION:
                raise
    return upsert_frame(conn, meter_interval, rows.frame.assign(**constants), METER_KEY,
                        update_where=revision_rule)


def _hold_ledger_row(conn: Connection, ingest_id: int | None) -> None:
    # meter_interval.ingest_id has no foreign key (migration 0005): this one check per file stands
    # in for a check per row. KEY SHARE (PostgreSQL) keeps the row from being deleted or re-keyed
    # until this transaction ends, as the constraint's own check would.
    if ingest_id is None:
        return
    found = conn.execute(
        select(ingest_ledger.c.id).where(ingest_ledger.c.id == ingest_id)
        .with_for_update(read=True, key_share=True)
    ).first()
    if found is None:
        raise LedgerError(f"no ingest with ledger id {ingest_id}: meter rows must name their ledger entry")


def _series_spans(frame: pd.DataFrame) -> list[tuple[str, str, datetime, datetime]] | None:
    """(meter, channel, first, last instant) per series in the frame; None beyond the probe's cap."""
    meter_codes, meters = pd.factorize(frame[METER_ID])
    channel_codes, channels = pd.factorize(frame[CHANNEL])
    series = meter_codes.astype(np.int64) * len(channels) + channel_codes
    present = np.flatnonzero(np.bincount(series)) if len(series) else series
    if len(present) > _MAX_PROBED_SERIES:
        return None
    utc = frame[INTERVAL_START_UTC].array.asi8
    spans = []
    for code in present.tolist():  # a file holds one meter or a few: a pass per series is cheap
        within = utc[series == code]
        lo, hi = (pd.Timestamp(int(v), tz="UTC").to_pydatetime() for v in (within.min(), within.max()))
        spans.append((meters[code // len(channels)], channels[code % len(channels)], lo, hi))
    return spans


def _stored_in_span(conn: Connection, spans: list[tuple[str, str, datetime, datetime]] | None) -> bool:
    """Whether any stored row shares a (meter, channel) with the frame within its time span."""
    if spans is None:
        return True
    c = meter_interval.c
    probe = or_(*(and_(c.meter_id == meter, c.channel == channel, c.interval_start_utc.between(lo, hi))
                  for meter, channel, lo, hi in spans))
    return conn.execute(select(literal(1)).where(probe).limit(1)).first() is not None


def _sqlstate(exc: BaseException) -> str | None:
    # psycopg raises from the raw COPY; SQLAlchemy wraps errors of statements it executed.
    return getattr(exc, "sqlstate", None) or getattr(getattr(exc, "orig", None), "sqlstate", None)


def read_meter_intervals(
    conn: Connection,
    meter_id: str | None = None,
    channel: str | None = None,
    start_utc: Any = None,
    end_utc: Any = None,
    meter_like: list[str] | None = None,
) -> pd.DataFrame:
    """Canonical meter frame plus `ingest_id`, filtered by meter, channel and [start_utc, end_utc),
    sorted by key. Bounds must be tz-aware; either may be None for open-ended. `meter_like`: SQL
    LIKE patterns, a meter matching any of them is read (e.g. every meter of a feeder)."""
    c = meter_interval.c
    dialect = conn.dialect.name
    stmt = select(c.meter_id, c.channel, raw(c.interval_start_utc, dialect), c.interval_minutes,
                  raw(c.interval_start_local, dialect), c.is_dst, c.kwh, c.is_estimated, c.ingest_id)
    if meter_id is not None:
        stmt = stmt.where(c.meter_id == meter_id)
    if channel is not None:
        stmt = stmt.where(c.channel == channel)
    if meter_like is not None:
        stmt = stmt.where(or_(*(c.meter_id.like(p) for p in meter_like)) if meter_like else false())
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
