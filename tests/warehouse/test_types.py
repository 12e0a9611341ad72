"""UTCDateTime and WallClockDateTime behave identically on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from sqlalchemy import Column, Integer, MetaData, Table, insert, select
from sqlalchemy.dialects import sqlite
from sqlalchemy.exc import StatementError

from gridflow.warehouse.types import UTCDateTime, WallClockDateTime, _SQLiteDateTime


@pytest.fixture
def stamps(engine):
    meta = MetaData()
    table = Table(
        "stamps",
        meta,
        Column("id", Integer, primary_key=True),
        Column("at", UTCDateTime),
        Column("wall", WallClockDateTime),
    )
    meta.create_all(engine)
    return table


def test_rejects_naive_datetimes(engine, stamps):
    with engine.begin() as conn, pytest.raises(StatementError, match="naive"):
        conn.execute(insert(stamps).values(id=1, at=datetime(2026, 1, 1)))


def test_wall_clock_rejects_aware_datetimes(engine, stamps):
    with engine.begin() as conn, pytest.raises(StatementError, match="tz-aware"):
        conn.execute(insert(stamps).values(id=1, wall=datetime(2026, 1, 1, tzinfo=UTC)))


@pytest.mark.parametrize(
    "value",
    [
        datetime(2026, 1, 1, tzinfo=UTC),
        datetime(2026, 3, 8, 7, 30, 15, 123456, tzinfo=ZoneInfo("America/New_York")),
        datetime(2026, 7, 1, 12, tzinfo=timezone(timedelta(hours=-5))),
        pd.Timestamp("2026-11-01 05:00", tz="America/Chicago"),
    ],
)
def test_round_trips_aware_values_as_utc(engine, stamps, value):
    with engine.begin() as conn:
        conn.execute(insert(stamps).values(id=1, at=value, wall=datetime(2026, 1, 1, 1)))
        at, wall = conn.execute(select(stamps.c.at, stamps.c.wall)).one()
        # The bound value is compared through the same type, so equal instants match.
        found = conn.execute(select(stamps.c.id).where(stamps.c.at == value)).scalar_one()
    assert at == value
    assert at.tzinfo is UTC or at.utcoffset() == timedelta(0)
    assert at.tzinfo is not None and at.tzname() == "UTC"
    assert wall == datetime(2026, 1, 1, 1) and wall.tzinfo is None
    assert found == 1


def test_null_round_trips(engine, stamps):
    with engine.begin() as conn:
        conn.execute(insert(stamps).values(id=1, at=None, wall=None))
        assert conn.execute(select(stamps.c.at, stamps.c.wall)).one() == (None, None)


def test_sqlite_storage_text_is_pinned(tmp_path):
    from gridflow.warehouse.engine import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'w.db'}")
    meta = MetaData()
    table = Table("t", meta, Column("id", Integer, primary_key=True), Column("at", UTCDateTime))
    meta.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(table).values(id=1, at=datetime(2026, 1, 1, 5, tzinfo=UTC)))
        raw = conn.exec_driver_sql("SELECT at FROM t").scalar()
    assert raw == "2026-01-01 05:00:00.000000"


@pytest.mark.parametrize(
    "value",
    [
        datetime(2026, 1, 1),
        datetime(2026, 12, 31, 23, 59, 59, 999999),
        datetime(999, 1, 2, 3, 4, 5, 6),
        datetime(1, 1, 1),
    ],
)
def test_fast_sqlite_format_equals_sqlalchemy_default(value):
    dialect = sqlite.dialect()
    fast = _SQLiteDateTime().bind_processor(dialect)
    default = sqlite.DATETIME().bind_processor(dialect)
    assert fast(value) == default(value)
