"""Issued forecasts: first write wins, reads by local day and by UTC window, actuals joined."""

from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np
import pandas as pd
import pytest

from gridflow import frames
from gridflow.warehouse.forecast_issued import (
    ISSUED_COLUMNS,
    read_issued,
    read_issued_with_actuals,
    write_issued,
)
from gridflow.warehouse.loads import write_load_observations

TZ = frames.PJM_TZ
ISSUED_AT = pd.Timestamp("2025-03-08 14:00", tz="UTC")  # 09:00 EST on D-1


def issued_frame(day: str = "2025-03-09", version: str = "3", issued_at=ISSUED_AT, p50=30_000.0,
                 zone: str = "PJME") -> pd.DataFrame:
    """The issued rows of one local day (2025-03-09 is the spring-forward day: 23 hours)."""
    start = pd.Timestamp(day).tz_localize(TZ).tz_convert("UTC")
    end = (pd.Timestamp(day) + pd.Timedelta(days=1)).tz_localize(TZ).tz_convert("UTC")
    utc = pd.date_range(start, end, freq="h", inclusive="left")
    local = utc.tz_convert(TZ)
    n = len(utc)
    mid = p50 + np.arange(n) * 100.0
    return pd.DataFrame({
        "zone": zone, "target_start_utc": utc, "issued_at_utc": issued_at, "model_version": version,
        "model_name": "load_forecast", "target_start_local": local.tz_localize(None),
        "is_dst": [bool(t.dst()) for t in local], "p10_mw": mid * 0.95, "p50_mw": mid, "p90_mw": mid * 1.05,
        "weather_kind": "forecast", "weather_site": "BWI",
        "weather_vintage_utc": pd.Timestamp("2025-03-08 11:23", tz="UTC"), "flow_run_id": "run-1",
    })


def test_first_write_wins(db):
    rows = issued_frame()
    assert len(rows) == 23  # spring forward
    with db.begin() as conn:
        assert write_issued(conn, rows) == 23
    changed = issued_frame(p50=99_999.0).assign(flow_run_id="run-2")
    with db.begin() as conn:
        assert write_issued(conn, changed) == 0  # same issue time and version: nothing changes
    with db.connect() as conn:
        stored = read_issued(conn, "PJME", date(2025, 3, 9))
    assert len(stored) == 23
    assert stored["p50_mw"].iloc[0] == pytest.approx(30_000.0)
    assert set(stored["flow_run_id"]) == {"run-1"}
    assert list(stored.columns) == ISSUED_COLUMNS
    assert stored["target_start_utc"].dt.tz is not None
    assert stored["weather_vintage_utc"].iloc[0] == pd.Timestamp("2025-03-08 11:23", tz="UTC")


def test_new_version_or_issue_time_adds_rows(db):
    with db.begin() as conn:
        write_issued(conn, issued_frame())
        assert write_issued(conn, issued_frame(version="4")) == 23
        assert write_issued(conn, issued_frame(issued_at=ISSUED_AT + pd.Timedelta(days=1))) == 23
    with db.connect() as conn:
        assert len(read_issued(conn, "PJME", date(2025, 3, 9))) == 69
        assert len(read_issued(conn, "PJME", date(2025, 3, 9), model_version="4")) == 23


def test_fall_back_day_has_25_hours_and_reads_by_local_day(db):
    with db.begin() as conn:
        write_issued(conn, issued_frame("2025-11-02", issued_at=pd.Timestamp("2025-11-01 13:00", tz="UTC")))
        write_issued(conn, issued_frame("2025-11-03", issued_at=pd.Timestamp("2025-11-02 14:00", tz="UTC")))
    with db.connect() as conn:
        day = read_issued(conn, "PJME", date(2025, 11, 2))
        window = read_issued(conn, start_utc=datetime(2025, 11, 3, 5, tzinfo=UTC),
                             end_utc=datetime(2025, 11, 3, 7, tzinfo=UTC))
    assert len(day) == 25
    assert day["is_dst"].sum() == 2  # 00:00 and the first 01:00
    assert len(window) == 2


def test_read_with_actuals_joins_metered_load(db, make_load_frame):
    issued = issued_frame("2025-01-15", issued_at=pd.Timestamp("2025-01-14 14:00", tz="UTC"))
    load = make_load_frame(start="2025-01-15 05:00", hours=10)  # the first 10 hours have landed
    with db.begin() as conn:
        write_issued(conn, issued)
        write_load_observations(conn, load, None)
    with db.connect() as conn:
        joined = read_issued_with_actuals(conn, "2025-01-15 05:00Z", "2025-01-16 05:00Z", zone="PJME")
    assert len(joined) == 24
    assert joined["actual_mw"].notna().sum() == 10
    np.testing.assert_allclose(joined["actual_mw"].iloc[:10], load["load_mw"].to_numpy())


def test_naive_bounds_are_refused(db):
    with db.connect() as conn, pytest.raises(ValueError, match="naive"):
        read_issued(conn, start_utc=datetime(2025, 1, 1))
