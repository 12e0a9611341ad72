"""Transformer readings: the one write path into `transformer_reading` (upsert by `reading_id`) and its read.

A file loaded again with a corrected value replaces the stored reading (same `reading_id`);
`updated_at` says when.
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
from sqlalchemy import Connection, select

from gridflow.sources.transformer_dga import READING_COLUMNS, VALUE_COLUMNS
from gridflow.warehouse.loads import raw
from gridflow.warehouse.tables import transformer_reading
from gridflow.warehouse.upsert import upsert_frame

KEY = ["reading_id"]
# What the training read returns: the readings plus when each row was (last) written.
STORED_COLUMNS = [*READING_COLUMNS, "updated_at"]


def write_transformer_readings(conn: Connection, frame: pd.DataFrame, ingest_id: int | None) -> int:
    """Upsert readings (`READING_COLUMNS`) tagged with `ingest_id`; returns rows written."""
    missing = [c for c in READING_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"transformer_reading frame lacks column(s) {missing}; expected {READING_COLUMNS}")
    out = frame.loc[:, READING_COLUMNS].copy()
    out[VALUE_COLUMNS] = out[VALUE_COLUMNS].apply(pd.to_numeric, errors="raise").astype("float64")
    # NaT binds as NULL only as None in an object column.
    sampled = pd.to_datetime(out["sampled_at_utc"], utc=True)
    out["sampled_at_utc"] = [None if pd.isna(t) else t.to_pydatetime() for t in sampled]
    out = out.assign(ingest_id=ingest_id, updated_at=datetime.now(UTC))
    return upsert_frame(conn, transformer_reading, out, KEY)


def _utc(values: list) -> np.ndarray:
    # Naive UTC text (SQLite) or naive datetimes (PostgreSQL via `raw`); None stays NaT.
    parsed = pd.to_datetime(pd.Series(values, dtype=object), utc=True, format="ISO8601")
    return parsed.astype("datetime64[ns, UTC]").to_numpy()


def read_transformer_readings(conn: Connection) -> pd.DataFrame:
    """Every stored reading (`STORED_COLUMNS`), ordered by asset and reading id."""
    c = transformer_reading.c
    dialect = conn.dialect.name
    stmt = select(*(raw(c[n], dialect).label(n) if n in ("sampled_at_utc", "updated_at") else c[n]
                    for n in STORED_COLUMNS)).order_by(c.asset_id, c.reading_id)
    rows = conn.execute(stmt).all()
    columns = list(zip(*rows, strict=True)) if rows else [[] for _ in STORED_COLUMNS]
    data = dict(zip(STORED_COLUMNS, columns, strict=True))
    frame = pd.DataFrame({
        "asset_id": pd.Series(data["asset_id"], dtype=object).astype(str),
        "reading_id": pd.Series(data["reading_id"], dtype=object).astype(str),
        **{n: np.array(data[n], dtype="float64") for n in VALUE_COLUMNS},
    })
    for name in ("sampled_at_utc", "updated_at"):
        frame[name] = pd.Series(_utc(list(data[name])), dtype="datetime64[ns, UTC]")
    return frame


# Bound parameters per IN list: well under SQLite's and psycopg's limits.
_IN_CHUNK = 900


def read_health_index(conn: Connection, reading_ids: list[str]) -> pd.Series:
    """The measured health index of each stored reading among `reading_ids`, indexed by reading id
    (ids not stored are absent)."""
    c = transformer_reading.c
    wanted = sorted({str(r) for r in reading_ids})
    found: dict[str, float] = {}
    for start in range(0, len(wanted), _IN_CHUNK):
        stmt = select(c.reading_id, c.health_index).where(c.reading_id.in_(wanted[start:start + _IN_CHUNK]))
        found.update((str(rid), float(value)) for rid, value in conn.execute(stmt))
    return pd.Series(found, dtype="float64", name="health_index").rename_axis("reading_id")
