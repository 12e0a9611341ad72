"""Meter intervals on SQLite and PostgreSQL: round trip and the revision rule."""

from __future__ import annotations

import numpy as np
import pandas as pd

from gridflow.sources.meters.frame import build_meter_frame
from gridflow.warehouse import ledger
from gridflow.warehouse.meters import read_meter_intervals, write_meter_intervals


def frame(kwh: list[float], estimated: list[bool]) -> pd.DataFrame:
    """Three consecutive 15-minute consumption readings of meter M1 (CST)."""
    utc = pd.date_range("2025-01-01 06:00", periods=3, freq="15min", tz="UTC").asi8
    return build_meter_frame(meter_id=np.array(["M1"] * 3, dtype=object), channel=np.array(["consumption"] * 3, dtype=object),
                             utc_ns=utc, minutes=15, local_ns=utc - 6 * 3600 * 10**9, is_dst=np.zeros(3, bool),
                             kwh=kwh, is_estimated=estimated)


def ingest(db, data: pd.DataFrame) -> int:
    with db.begin() as conn:
        ingest_id = ledger.start_ingest(conn, "test", "meter_interval", "x", "sha")
        write_meter_intervals(conn, data, ingest_id)
    return ingest_id


def test_round_trip(db):
    data = frame([0.1, 0.2, 0.3], [False, True, False])
    first = ingest(db, data)
    with db.connect() as conn:
        back = read_meter_intervals(conn, meter_id="M1")
    pd.testing.assert_frame_equal(back.drop(columns="ingest_id"), data.astype({"meter_id": "string", "channel": "string"}))
    assert back["ingest_id"].tolist() == [first] * 3


def test_later_file_wins_but_estimate_never_replaces_actual(db):
    first = ingest(db, frame([0.1, 0.2, 0.3], [False, True, False]))
    # Later file: actual replaces actual, actual replaces estimate, estimate must NOT replace actual.
    second = ingest(db, frame([1.1, 1.2, 1.3], [False, False, True]))
    with db.connect() as conn:
        back = read_meter_intervals(conn)
    assert back["kwh"].tolist() == [1.1, 1.2, 0.3]
    assert back["is_estimated"].tolist() == [False, False, False]
    assert back["ingest_id"].tolist() == [second, second, first]


def test_reloading_an_older_batch_does_not_overwrite(db):
    with db.begin() as conn:
        old = ledger.start_ingest(conn, "test", "meter_interval", "old", "a")
        new = ledger.start_ingest(conn, "test", "meter_interval", "new", "b")
        write_meter_intervals(conn, frame([2.0, 2.0, 2.0], [False] * 3), new)
        write_meter_intervals(conn, frame([1.0, 1.0, 1.0], [False] * 3), old)
    with db.connect() as conn:
        assert read_meter_intervals(conn)["kwh"].tolist() == [2.0, 2.0, 2.0]
