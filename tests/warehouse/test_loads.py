"""Load observations: canonical frames in, canonical frames (exact dtypes) out, on both dialects."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from gridflow import frames
from gridflow.warehouse.ledger import start_ingest
from gridflow.warehouse.loads import read_load_observations, write_load_observations
from gridflow.warehouse.tables import load_observation


@pytest.fixture
def ingest_id(db) -> int:
    with db.begin() as conn:
        return start_ingest(conn, "test", "pjm_load", "memory://", "0" * 64)


def _assert_canonical(frame: pd.DataFrame) -> None:
    assert list(frame.columns) == frames.LOAD_COLUMNS
    assert frame.dtypes.to_dict() == frames.empty_load_frame().dtypes.to_dict()
    assert str(frame[frames.INTERVAL_START_UTC].dt.tz) == "UTC"


def test_read_returns_exact_dtypes_and_values(db, ingest_id, make_load_frame):
    frame = make_load_frame(zones=("PJME", "AEP"), hours=72)
    with db.begin() as conn:
        assert write_load_observations(conn, frame, ingest_id) == 144
    with db.connect() as conn:
        out = read_load_observations(conn)
    _assert_canonical(out)
    expected = frame.sort_values(frames.LOAD_KEY, ignore_index=True)
    pd.testing.assert_frame_equal(out, expected)


def test_read_empty_is_canonical(db):
    with db.connect() as conn:
        out = read_load_observations(conn)
    assert out.empty
    _assert_canonical(out)


def test_filters_by_zone_and_half_open_utc_range(db, ingest_id, make_load_frame):
    frame = make_load_frame(zones=("A", "B"), start="2025-03-01 00:00", hours=48)
    with db.begin() as conn:
        write_load_observations(conn, frame, ingest_id)
    start = pd.Timestamp("2025-03-01 10:00", tz="UTC")
    # A non-UTC bound means the same instant: 2025-03-01 15:00 UTC.
    end = pd.Timestamp("2025-03-01 10:00", tz="America/New_York")
    with db.connect() as conn:
        out = read_load_observations(conn, zone="B", start_utc=start, end_utc=end)
        only_start = read_load_observations(conn, start_utc=start.to_pydatetime())
    assert out[frames.ZONE].unique().tolist() == ["B"]
    assert out[frames.INTERVAL_START_UTC].min() == start
    assert out[frames.INTERVAL_START_UTC].max() == pd.Timestamp("2025-03-01 14:00", tz="UTC")
    assert len(out) == 5
    assert len(only_start) == 2 * 38
    _assert_canonical(out)


def test_naive_bounds_are_refused(db):
    with db.connect() as conn, pytest.raises(ValueError, match="naive"):
        read_load_observations(conn, start_utc=pd.Timestamp("2025-01-01"))


def test_dst_fall_back_keeps_both_hours(db, ingest_id, make_load_frame):
    # 2025-11-02 in New York: 01:00 EDT (05:00 UTC) then 01:00 EST (06:00 UTC).
    frame = make_load_frame(start="2025-11-02 04:00", hours=4)
    assert frame[frames.INTERVAL_START_LOCAL].duplicated().sum() == 1
    with db.begin() as conn:
        write_load_observations(conn, frame, ingest_id)
    with db.connect() as conn:
        out = read_load_observations(conn)
    assert len(out) == 4
    repeated = out[out[frames.INTERVAL_START_LOCAL] == pd.Timestamp("2025-11-02 01:00")]
    assert repeated[frames.INTERVAL_START_UTC].tolist() == [
        pd.Timestamp("2025-11-02 05:00", tz="UTC"),
        pd.Timestamp("2025-11-02 06:00", tz="UTC"),
    ]
    assert repeated[frames.IS_DST].tolist() == [True, False]


def test_rewrite_is_idempotent_and_updates(db, ingest_id, make_load_frame):
    frame = make_load_frame(hours=24)
    with db.begin() as conn:
        write_load_observations(conn, frame, ingest_id)
        write_load_observations(conn, frame, ingest_id)
        assert conn.execute(select(func.count()).select_from(load_observation)).scalar() == 24
        revised = frame.assign(**{frames.LOAD_MW: frame[frames.LOAD_MW] + 1})
        write_load_observations(conn, revised, ingest_id)
        out = read_load_observations(conn)
    np.testing.assert_allclose(out[frames.LOAD_MW], revised[frames.LOAD_MW])


def test_write_records_ingest_id_and_enforces_it(db, ingest_id, make_load_frame):
    frame = make_load_frame(hours=2)
    with db.begin() as conn:
        write_load_observations(conn, frame, ingest_id)
        ids = conn.execute(select(load_observation.c.ingest_id).distinct()).scalars().all()
    assert ids == [ingest_id]
    # Foreign keys are on for SQLite too (PRAGMA foreign_keys in make_engine).
    with db.begin() as conn, pytest.raises(IntegrityError):
        write_load_observations(conn, frame, ingest_id + 1000)


def test_write_refuses_missing_values_and_columns(db, ingest_id, make_load_frame):
    frame = make_load_frame(hours=3)
    frame.loc[1, frames.LOAD_MW] = np.nan
    with db.begin() as conn:
        with pytest.raises(ValueError, match="load_mw"):
            write_load_observations(conn, frame, ingest_id)
        with pytest.raises(ValueError, match="is_dst"):
            write_load_observations(conn, frame.drop(columns=[frames.IS_DST]), ingest_id)


def test_large_round_trip(db, ingest_id, make_load_frame):
    zones = tuple(f"Z{i:02d}" for i in range(15))
    frame = make_load_frame(zones=zones, start="2008-01-01 00:00", hours=10_000, seed=7)
    assert len(frame) == 150_000
    with db.begin() as conn:
        assert write_load_observations(conn, frame, ingest_id) == 150_000
    with db.begin() as conn:
        assert write_load_observations(conn, frame, ingest_id) == 150_000
    with db.connect() as conn:
        out = read_load_observations(conn)
    _assert_canonical(out)
    pd.testing.assert_frame_equal(out, frame.sort_values(frames.LOAD_KEY, ignore_index=True))


def _stored(db) -> list[tuple]:
    c = load_observation.c
    with db.connect() as conn:
        return [tuple(r) for r in conn.execute(select(c.load_mw, c.is_verified).order_by(c.interval_start_utc))]


def test_the_one_write_path_owns_the_verified_wins_rule(db, ingest_id, make_load_frame):
    frame = make_load_frame(zones=("AE",), hours=2)
    with db.begin() as conn:
        assert write_load_observations(conn, frame.assign(is_verified=True), ingest_id) == 2
        # A preliminary re-send with other values never replaces a verified reading...
        assert write_load_observations(conn, frame.assign(load_mw=1.0, is_verified=False), ingest_id) == 0
    assert _stored(db) == [(float(v), True) for v in frame[frames.LOAD_MW]]
    with db.begin() as conn:
        # ...a verified revision does, and a frame without the flag (a named file) is authoritative.
        assert write_load_observations(conn, frame.assign(load_mw=2.0, is_verified=True), ingest_id) == 2
    assert _stored(db) == [(2.0, True)] * 2
    with db.begin() as conn:
        assert write_load_observations(conn, frame.assign(load_mw=3.0), ingest_id) == 2
    assert _stored(db) == [(3.0, True)] * 2
