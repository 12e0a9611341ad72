"""upsert_frame: idempotent, updates changed values, refuses ambiguous frames, on both dialects."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Column, Float, Integer, MetaData, String, Table, func, select, text

from gridflow.errors import GridflowError
from gridflow.warehouse.tables import JSONType, load_observation
from gridflow.warehouse.types import UTCDateTime
from gridflow.warehouse.upsert import DuplicateKeyError, upsert_frame

KEY = ["zone", "interval_start_utc"]


def _with_audit_columns(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    out["updated_at"] = datetime(2026, 1, 1, tzinfo=UTC)
    return out


def _count(conn, table=load_observation) -> int:
    return conn.execute(select(func.count()).select_from(table)).scalar_one()


def _stored(conn) -> pd.DataFrame:
    c = load_observation.c
    rows = conn.execute(
        select(c.zone, c.interval_start_utc, c.load_mw).order_by(c.zone, c.interval_start_utc)
    ).all()
    return pd.DataFrame(rows, columns=["zone", "interval_start_utc", "load_mw"])


def test_same_frame_twice_is_idempotent(db, make_load_frame):
    frame = _with_audit_columns(make_load_frame(zones=("A", "B"), hours=30))
    with db.begin() as conn:
        assert upsert_frame(conn, load_observation, frame, KEY) == 60
        first = _stored(conn)
    with db.begin() as conn:
        assert upsert_frame(conn, load_observation, frame, KEY) == 60
        assert _count(conn) == 60
        second = _stored(conn)
    pd.testing.assert_frame_equal(first, second)
    assert second["load_mw"].tolist() == frame["load_mw"].tolist()


def test_changed_values_are_updated(db, make_load_frame):
    frame = _with_audit_columns(make_load_frame(hours=24))
    with db.begin() as conn:
        upsert_frame(conn, load_observation, frame, KEY)
    changed = frame.copy()
    changed.loc[changed.index[:5], "load_mw"] = -1.5
    more = _with_audit_columns(make_load_frame(start="2025-01-02 00:00", hours=6))
    with db.begin() as conn:
        assert upsert_frame(conn, load_observation, pd.concat([changed, more]), KEY) == 30
        stored = _stored(conn)
    assert len(stored) == 30
    assert stored["load_mw"].tolist()[:24] == changed["load_mw"].tolist()
    assert (stored["load_mw"].iloc[:5] == -1.5).all()


def test_empty_update_columns_keeps_existing_rows(db, make_load_frame):
    frame = _with_audit_columns(make_load_frame(hours=4))
    with db.begin() as conn:
        upsert_frame(conn, load_observation, frame, KEY)
        changed = frame.assign(load_mw=0.0)
        assert upsert_frame(conn, load_observation, changed, KEY, update_columns=[]) == 0
        assert _stored(conn)["load_mw"].tolist() == frame["load_mw"].tolist()


def test_only_named_update_columns_change(db, make_load_frame):
    frame = _with_audit_columns(make_load_frame(hours=4))
    with db.begin() as conn:
        upsert_frame(conn, load_observation, frame, KEY)
        changed = frame.assign(load_mw=0.0, is_dst=~frame["is_dst"])
        upsert_frame(conn, load_observation, changed, KEY, update_columns=["is_dst"])
        c = load_observation.c
        rows = conn.execute(select(c.load_mw, c.is_dst).order_by(c.interval_start_utc)).all()
    assert [r.load_mw for r in rows] == frame["load_mw"].tolist()
    assert [r.is_dst for r in rows] == (~frame["is_dst"]).tolist()


def test_duplicate_keys_raise_a_clear_error_before_writing(db, make_load_frame):
    frame = _with_audit_columns(make_load_frame(zones=("A", "B"), hours=10))
    dup = pd.concat([frame, frame.iloc[[3, 15]]], ignore_index=True)
    with db.begin() as conn:
        with pytest.raises(DuplicateKeyError) as info:
            upsert_frame(conn, load_observation, dup, KEY)
        assert _count(conn) == 0
    err = info.value
    assert isinstance(err, GridflowError) and isinstance(err, ValueError)
    assert len(err.duplicates) == 2
    assert ("A", frame.loc[3, "interval_start_utc"]) in err.duplicates
    assert "appear more than once" in str(err) and "'A'" in str(err)


def test_naive_instant_column_is_refused(db, make_load_frame):
    frame = _with_audit_columns(make_load_frame(hours=2))
    frame["interval_start_utc"] = frame["interval_start_utc"].dt.tz_localize(None)
    with db.begin() as conn, pytest.raises(ValueError, match="naive"):
        upsert_frame(conn, load_observation, frame, KEY)


def test_non_utc_instants_are_stored_as_utc(db, make_load_frame):
    frame = _with_audit_columns(make_load_frame(hours=3))
    eastern = frame.assign(interval_start_utc=frame["interval_start_utc"].dt.tz_convert("EST"))
    with db.begin() as conn:
        upsert_frame(conn, load_observation, frame, KEY)
        # Same instants expressed in another zone are the same keys, not new rows.
        upsert_frame(conn, load_observation, eastern, KEY)
        assert _count(conn) == 3


def test_unknown_columns_are_refused(db, make_load_frame):
    frame = _with_audit_columns(make_load_frame(hours=2)).assign(bogus=1)
    with db.begin() as conn, pytest.raises(ValueError, match="bogus"):
        upsert_frame(conn, load_observation, frame, KEY)


def test_empty_frame_writes_nothing(db, make_load_frame):
    frame = _with_audit_columns(make_load_frame(hours=2)).iloc[:0]
    with db.begin() as conn:
        assert upsert_frame(conn, load_observation, frame, KEY) == 0


def test_rollback_discards_the_upsert(db, make_load_frame):
    frame = _with_audit_columns(make_load_frame(hours=5))
    with db.connect() as conn:
        trans = conn.begin()
        upsert_frame(conn, load_observation, frame, KEY)
        trans.rollback()
        assert _count(conn) == 0


def test_generic_table_nulls_json_and_numpy_scalars(db):
    meta = MetaData()
    table = Table(
        "generic",
        meta,
        Column("k", String(10), primary_key=True),
        Column("n", Integer),
        Column("x", Float),
        Column("doc", JSONType),
        Column("at", UTCDateTime),
    )
    meta.create_all(db)
    frame = pd.DataFrame(
        {
            "k": ["a", "b", "c"],
            "n": pd.array([1, None, 3], dtype="Int64"),
            "x": [1.5, np.nan, 2.5],
            "doc": [{"v": np.int64(1)}, None, {"w": [1, 2]}],
            "at": pd.to_datetime(["2026-01-01", None, "2026-01-03"], utc=True),
        }
    )
    with db.begin() as conn:
        assert upsert_frame(conn, table, frame, ["k"]) == 3
        assert upsert_frame(conn, table, frame.iloc[[0]].assign(x=9.0), ["k"]) == 1
        rows = conn.execute(select(table).order_by(table.c.k)).all()
    assert rows[0] == ("a", 1, 9.0, {"v": 1}, datetime(2026, 1, 1, tzinfo=UTC))
    assert rows[1] == ("b", None, None, None, None)
    assert rows[2] == ("c", 3, 2.5, {"w": [1, 2]}, datetime(2026, 1, 3, tzinfo=UTC))


def test_no_staging_tables_are_left_behind(db, make_load_frame):
    # PostgreSQL stages through a temporary table; it must be dropped in the same transaction.
    frame = _with_audit_columns(make_load_frame(hours=3))
    if db.dialect.name == "postgresql":
        query = "SELECT count(*) FROM pg_class WHERE relname LIKE '\\_gridflow\\_upsert\\_%'"
    else:
        query = "SELECT count(*) FROM sqlite_temp_master WHERE name LIKE '\\_gridflow%' ESCAPE '\\'"
    with db.begin() as conn:
        upsert_frame(conn, load_observation, frame, KEY)
        upsert_frame(conn, load_observation, frame, KEY)
        assert conn.execute(text(query)).scalar_one() == 0


def test_update_where_keeps_rows_that_fail_the_condition(db, make_load_frame):
    frame = _with_audit_columns(make_load_frame(zones=("A",), hours=4))
    verified = frame.assign(is_verified=True)
    with db.begin() as conn:
        upsert_frame(conn, load_observation, verified, KEY)
        # A preliminary re-send must not replace verified readings; a verified correction may.
        never_downgrade = lambda table, new: new.is_verified | ~table.c.is_verified  # noqa: E731
        prelim = frame.assign(is_verified=False, load_mw=frame.load_mw + 1000)
        upsert_frame(conn, load_observation, prelim, KEY, update_where=never_downgrade)
        assert list(_stored(conn).load_mw) == list(frame.load_mw)
        corrected = frame.assign(is_verified=True, load_mw=frame.load_mw + 5)
        upsert_frame(conn, load_observation, corrected, KEY, update_where=never_downgrade)
        assert list(_stored(conn).load_mw) == list(frame.load_mw + 5)
        assert _count(conn) == 4
