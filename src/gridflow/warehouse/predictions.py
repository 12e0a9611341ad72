"""The scoring API's prediction log: the one write path into `prediction_log` (a row already written,
same request id, arm and row, is ignored) and the reads the A/B report makes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import Connection, select

from gridflow.warehouse.tables import prediction_log
from gridflow.warehouse.upsert import upsert_frame

KEY = ["request_id", "arm", "row_index"]
COLUMNS = [c.name for c in prediction_log.columns if c.name != "id"]
# What the A/B report reads: the arm, the version, the key that joins actuals, and the answer.
REPORT_COLUMNS = ["request_id", "row_index", "arm", "mode", "returned", "model_version", "request_key", "prediction",
                  "logged_at_utc"]


def write_predictions(conn: Connection, rows: list[dict[str, Any]]) -> int:
    """Insert log rows (`COLUMNS`), ignoring those already stored; returns rows inserted."""
    if not rows:
        return 0
    frame = pd.DataFrame.from_records(rows, columns=COLUMNS)
    frame["prediction"] = pd.to_numeric(frame["prediction"], errors="coerce").astype("float64")
    # A retried flush may repeat rows of one batch: the table ignores them, the frame must not hold them twice.
    frame = frame.drop_duplicates(subset=KEY, keep="first")
    return upsert_frame(conn, prediction_log, frame, KEY, update_columns=[])


def read_predictions(conn: Connection, model: str, since: datetime | None = None,
                     versions: list[str] | None = None) -> pd.DataFrame:
    """Logged rows of `model` (`REPORT_COLUMNS`), optionally from `since` (aware) and of `versions` only."""
    c = prediction_log.c
    stmt = select(*(c[name] for name in REPORT_COLUMNS)).where(c.model_name == model)
    if since is not None:
        stmt = stmt.where(c.logged_at_utc >= since)
    if versions is not None:
        stmt = stmt.where(c.model_version.in_([str(v) for v in versions]))
    rows = conn.execute(stmt.order_by(c.id)).all()
    frame = pd.DataFrame(rows, columns=REPORT_COLUMNS)
    frame["prediction"] = pd.to_numeric(frame["prediction"], errors="coerce").astype("float64")
    frame["row_index"] = frame["row_index"].astype("int64")
    frame["returned"] = frame["returned"].astype(bool)
    return frame
