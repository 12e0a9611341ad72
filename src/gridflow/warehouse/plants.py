"""Plant hourly averages: the one write path into `plant_hourly` (upsert by plant and reading key) and its read.

The key is the row's content plus its repeat number (gridflow.sources.ccpp), so the same rows in
another order or another file add nothing; `updated_at` says when a row was last written.
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
from sqlalchemy import Connection, func, select

from gridflow.sources.ccpp import READING_COLUMNS, VALUE_COLUMNS
from gridflow.warehouse.loads import raw
from gridflow.warehouse.tables import plant_hourly
from gridflow.warehouse.upsert import upsert_frame

KEY = ["plant_id", "reading_key"]
# What the training read returns: the readings plus when each row was (last) written.
STORED_COLUMNS = [*READING_COLUMNS, "updated_at"]


def write_plant_readings(conn: Connection, frame: pd.DataFrame, ingest_id: int | None) -> int:
    """Upsert hourly readings (`READING_COLUMNS`) tagged with `ingest_id`; returns rows written."""
    missing = [c for c in READING_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"plant_hourly frame lacks column(s) {missing}; expected {READING_COLUMNS}")
    out = frame.loc[:, READING_COLUMNS].copy()
    out[VALUE_COLUMNS] = out[VALUE_COLUMNS].apply(pd.to_numeric, errors="raise").astype("float64")
    out = out.assign(ingest_id=ingest_id, updated_at=datetime.now(UTC))
    return upsert_frame(conn, plant_hourly, out, KEY)


def read_plant_readings(conn: Connection) -> pd.DataFrame:
    """Every stored reading (`STORED_COLUMNS`), ordered by plant and reading key."""
    c = plant_hourly.c
    stmt = select(*(raw(c[n], conn.dialect.name).label(n) if n == "updated_at" else c[n] for n in STORED_COLUMNS)
                  ).order_by(c.plant_id, c.reading_key)
    rows = conn.execute(stmt).all()
    columns = list(zip(*rows, strict=True)) if rows else [[] for _ in STORED_COLUMNS]
    data = dict(zip(STORED_COLUMNS, columns, strict=True))
    frame = pd.DataFrame({
        "plant_id": pd.Series(data["plant_id"], dtype=object).astype(str),
        "reading_key": pd.Series(data["reading_key"], dtype=object).astype(str),
        **{n: np.array(data[n], dtype="float64") for n in VALUE_COLUMNS},
    })
    # Naive UTC text (SQLite) or naive datetimes (PostgreSQL via `raw`).
    written = pd.to_datetime(pd.Series(list(data["updated_at"]), dtype=object), utc=True, format="ISO8601")
    frame["updated_at"] = written.astype("datetime64[ns, UTC]")
    return frame


def count_plant_readings(conn: Connection, plant_id: str | None = None) -> int:
    """Rows stored in `plant_hourly`, for one plant or all."""
    stmt = select(func.count()).select_from(plant_hourly)
    if plant_id is not None:
        stmt = stmt.where(plant_hourly.c.plant_id == plant_id)
    return int(conn.execute(stmt).scalar_one())
