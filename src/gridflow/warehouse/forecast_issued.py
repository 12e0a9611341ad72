"""Issued day-ahead load forecasts: the one write path into `load_forecast_issued` and its reads.

Rule: first write wins. A forecast is a statement made at its issue time; re-running the issue for
the same (zone, target hour, issue time, model version) must not change what was said, so writes
insert new keys only and leave stored rows as they are.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import Connection, and_, select

from gridflow.warehouse.loads import utc_bound
from gridflow.warehouse.tables import load_forecast_issued, load_observation
from gridflow.warehouse.upsert import upsert_frame

ISSUED_KEY = ["zone", "target_start_utc", "issued_at_utc", "model_version"]
ISSUED_COLUMNS = [
    *ISSUED_KEY, "model_name", "target_start_local", "is_dst", "p10_mw", "p50_mw", "p90_mw",
    "weather_kind", "weather_site", "weather_vintage_utc", "flow_run_id", "created_at",
]
ACTUAL_MW = "actual_mw"
_UTC_COLUMNS = ("target_start_utc", "issued_at_utc", "weather_vintage_utc", "created_at")


def write_issued(conn: Connection, frame: pd.DataFrame) -> int:
    """Insert issued forecast rows whose key is new; returns rows inserted (0 on a re-run).

    `frame` holds ISSUED_COLUMNS (`created_at` is filled when absent). Stored rows are never
    updated: first write wins.
    """
    out = frame.copy()
    if "created_at" not in out.columns:
        out["created_at"] = datetime.now(UTC)
    missing = [c for c in ISSUED_COLUMNS if c not in out.columns]
    if missing:
        raise ValueError(f"issued forecast frame lacks column(s) {missing}")
    out = out[ISSUED_COLUMNS]
    out["model_version"] = out["model_version"].astype(str)
    out["is_dst"] = out["is_dst"].astype(bool)
    for column in ("p10_mw", "p50_mw", "p90_mw"):
        out[column] = out[column].astype("float64")
    return upsert_frame(conn, load_forecast_issued, out, ISSUED_KEY, update_columns=[])


def read_issued(
    conn: Connection,
    zone: str | None = None,
    target_date: date | None = None,
    *,
    start_utc: Any = None,
    end_utc: Any = None,
    model_version: str | None = None,
    model_name: str | None = None,
) -> pd.DataFrame:
    """Issued rows of `zone` (all if None) for the local day `target_date` (by the wall clock of
    the target hour) or targets in [start_utc, end_utc); sorted by zone, target, issue time."""
    return _read(conn, zone, target_date, start_utc, end_utc, model_version, model_name, with_actuals=False)


def read_issued_with_actuals(
    conn: Connection,
    start_utc: Any = None,
    end_utc: Any = None,
    *,
    zone: str | None = None,
    target_date: date | None = None,
    model_version: str | None = None,
    model_name: str | None = None,
) -> pd.DataFrame:
    """Issued rows with the metered load of their target hour in `actual_mw` (NaN until it lands)."""
    return _read(conn, zone, target_date, start_utc, end_utc, model_version, model_name, with_actuals=True)


def _read(
    conn: Connection, zone: str | None, target_date: date | None, start_utc: Any, end_utc: Any,
    model_version: str | None, model_name: str | None, *, with_actuals: bool,
) -> pd.DataFrame:
    t = load_forecast_issued
    columns = [t.c[name] for name in ISSUED_COLUMNS]
    stmt = select(*columns)
    if with_actuals:
        obs = load_observation
        stmt = select(*columns, obs.c.load_mw.label(ACTUAL_MW)).select_from(
            t.outerjoin(obs, and_(obs.c.zone == t.c.zone, obs.c.interval_start_utc == t.c.target_start_utc))
        )
    conditions = []
    if zone is not None:
        conditions.append(t.c.zone == zone)
    if target_date is not None:
        day = datetime.combine(target_date, datetime.min.time())
        conditions += [t.c.target_start_local >= day, t.c.target_start_local < day + timedelta(days=1)]
    start, end = utc_bound(start_utc, "start_utc"), utc_bound(end_utc, "end_utc")
    if start is not None:
        conditions.append(t.c.target_start_utc >= start)
    if end is not None:
        conditions.append(t.c.target_start_utc < end)
    if model_version is not None:
        conditions.append(t.c.model_version == str(model_version))
    if model_name is not None:
        conditions.append(t.c.model_name == model_name)
    stmt = stmt.where(*conditions).order_by(t.c.zone, t.c.target_start_utc, t.c.issued_at_utc)
    rows = [dict(row._mapping) for row in conn.execute(stmt)]
    names = [*ISSUED_COLUMNS, *([ACTUAL_MW] if with_actuals else [])]
    frame = pd.DataFrame(rows, columns=names)
    for column in _UTC_COLUMNS:
        frame[column] = pd.to_datetime(frame[column], utc=True).dt.as_unit("ns")
    frame["target_start_local"] = pd.to_datetime(frame["target_start_local"]).dt.as_unit("ns")
    frame["is_dst"] = frame["is_dst"].astype(bool)
    for column in ("p10_mw", "p50_mw", "p90_mw", *([ACTUAL_MW] if with_actuals else [])):
        frame[column] = frame[column].astype("float64")
    return frame
