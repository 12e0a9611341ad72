"""upsert_frame's vectorised value preparation stores exactly what per-value binding stores.

Whole columns are converted with numpy (SQLite: driver values; PostgreSQL: the binary COPY
payload). Each case writes the same frame through the vectorised path and through the per-value
path (SQLAlchemy bind steps + psycopg dumpers, forced by monkeypatching) and compares what the
database holds, on both dialects.
"""

from __future__ import annotations

import math
import struct
import warnings
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    select,
)

from gridflow.warehouse import binding, pg_copy
from gridflow.warehouse.tables import JSONType
from gridflow.warehouse.types import UTCDateTime, WallClockDateTime
from gridflow.warehouse.upsert import upsert_frame

NASTY_STRINGS = [
    "plain",
    "comma, inside",
    'double "quotes" and \'single\'',
    "new\nline and\r\ncrlf",
    "tab\tseparated",
    "back\\slash \\N \\.",
    "unicode: Zürich, 東京, emoji 🔌, combining é",
    "",
    " leading and trailing ",
    "NULL",
]

EXTREME_FLOATS = [
    0.1 + 0.2,
    1 / 3,
    5e-324,  # smallest subnormal
    2.2250738585072014e-308,
    1.7976931348623157e308,
    -1.7976931348623157e308,
    -0.0,
    math.pi * 1e-300,
    123456789.12345678,
    math.inf,
    -math.inf,
]


def _table(name: str, meta: MetaData) -> Table:
    return Table(
        name,
        meta,
        Column("k", String(16), primary_key=True),
        Column("s", Text),
        Column("v", String(64)),
        Column("x", Float),
        Column("r", Float(precision=24)),  # REAL on PostgreSQL
        Column("i", Integer),
        Column("big", BigInteger),
        Column("small", SmallInteger),
        Column("flag", Boolean),
        Column("at", UTCDateTime),
        Column("wall", WallClockDateTime),
        Column("doc", JSONType),
    )


@pytest.fixture
def tables(db):
    meta = MetaData()
    fast, slow = _table("fast_path", meta), _table("per_value", meta)
    meta.create_all(db)
    return fast, slow


def _per_value_only(monkeypatch) -> None:
    monkeypatch.setattr(binding, "fast_kind", lambda column, dialect, series: None)


def _raw_rows(conn, table: Table) -> list[str]:
    # Driver values, not SQLAlchemy-processed ones: SQLite's stored text, PostgreSQL's values.
    quoted = conn.dialect.identifier_preparer.format_table(table)
    rows = conn.exec_driver_sql(f"SELECT * FROM {quoted} ORDER BY k").fetchall()
    return [repr(tuple(row)) for row in rows]


def _write_both(db, tables, frame, monkeypatch, key=("k",)):
    fast, slow = tables
    with db.begin() as conn:
        assert upsert_frame(conn, fast, frame, list(key)) == len(frame)
    with monkeypatch.context() as patch:
        _per_value_only(patch)
        with db.begin() as conn:
            assert upsert_frame(conn, slow, frame, list(key)) == len(frame)
    with db.connect() as conn:
        fast_rows, slow_rows = _raw_rows(conn, fast), _raw_rows(conn, slow)
        stored = conn.execute(select(fast).order_by(fast.c.k)).all()
    assert fast_rows == slow_rows
    return stored


def _keys(n: int) -> list[str]:
    return [f"k{i:04d}" for i in range(n)]


def _bits(value: float) -> bytes:
    return struct.pack(">d", value)


def test_strings_with_separators_quotes_newlines_backslashes_and_unicode(db, tables, monkeypatch):
    n = len(NASTY_STRINGS)
    frame = pd.DataFrame({
        "k": _keys(n),
        "s": NASTY_STRINGS,  # object / str dtype
        "v": pd.Categorical(list(reversed(NASTY_STRINGS))),
    })
    stored = _write_both(db, tables, frame, monkeypatch)
    assert [r.s for r in stored] == NASTY_STRINGS
    assert [r.v for r in stored] == list(reversed(NASTY_STRINGS))


def test_string_missing_values_and_unused_categories(db, tables, monkeypatch):
    categories = ["unused", "a", "bb", "ccc, \"d\""]
    frame = pd.DataFrame({
        "k": _keys(6),
        "s": pd.array(["x", None, "", "yy", pd.NA, "z"], dtype="string"),
        "v": pd.Categorical(["a", None, "bb", "ccc, \"d\"", "a", None], categories=categories),
    })
    stored = _write_both(db, tables, frame, monkeypatch)
    assert [r.s for r in stored] == ["x", None, "", "yy", None, "z"]
    assert [r.v for r in stored] == ["a", None, "bb", "ccc, \"d\"", "a", None]


def test_floats_round_trip_bit_exact_and_nan_is_null(db, tables, monkeypatch):
    values = [*EXTREME_FLOATS, math.nan]
    frame = pd.DataFrame({"k": _keys(len(values)), "x": np.array(values, dtype="float64")})
    stored = _write_both(db, tables, frame, monkeypatch)
    assert stored[-1].x is None
    for row, expected in zip(stored[:-1], values[:-1], strict=True):
        if expected == 0 and db.dialect.name == "sqlite":
            assert row.x == 0.0  # SQLite stores a zero REAL without its sign, either path
        else:
            assert _bits(row.x) == _bits(expected), (row.x, expected)


def test_real_column_rounds_like_the_driver(db, tables, monkeypatch):
    values = [0.1, 1 / 3, 3.4e38, 1e-45, math.nan]
    frame = pd.DataFrame({"k": _keys(len(values)), "r": np.array(values, dtype="float64")})
    stored = _write_both(db, tables, frame, monkeypatch)
    assert stored[-1].r is None


def test_integers_and_nullable_extension_dtypes(db, tables, monkeypatch):
    frame = pd.DataFrame({
        "k": _keys(5),
        "i": pd.array([0, -(2**31), 2**31 - 1, None, 7], dtype="Int64"),
        "big": np.array([2**63 - 1, -(2**63), 0, 1, -1], dtype="int64"),
        "small": np.array([-(2**15), 2**15 - 1, 0, 1, 2], dtype="int16"),
        "flag": pd.array([True, False, None, True, False], dtype="boolean"),
    })
    stored = _write_both(db, tables, frame, monkeypatch)
    assert [r.i for r in stored] == [0, -(2**31), 2**31 - 1, None, 7]
    assert [r.big for r in stored] == [2**63 - 1, -(2**63), 0, 1, -1]
    assert [r.small for r in stored] == [-(2**15), 2**15 - 1, 0, 1, 2]
    assert [r.flag for r in stored] == [True, False, None, True, False]


def test_all_missing_object_column_is_null(db, tables, monkeypatch):
    frame = pd.DataFrame({"k": _keys(3), "i": [None, None, None], "s": [None] * 3, "flag": True})
    stored = _write_both(db, tables, frame, monkeypatch)
    assert [(r.i, r.s, r.flag) for r in stored] == [(None, None, True)] * 3


def test_tz_aware_instants_at_microsecond_precision(db, tables, monkeypatch):
    utc = pd.DatetimeIndex([
        "2024-03-10 06:59:59.999999",
        "2024-03-10 07:00:00.000001",
        "1970-01-01 00:00:00",
        "1969-12-31 23:59:59.123456",
        "2000-01-01 00:00:00",
        "1999-12-31 23:59:59.999999",
        "2261-12-31 23:59:59.999999",
        "1700-06-15 12:00:00.5",
    ]).tz_localize("UTC")
    # Same instants expressed in a DST zone, plus a NaT.
    at = pd.Series(utc.tz_convert("America/Chicago")).reindex(range(len(utc) + 1))
    frame = pd.DataFrame({"k": _keys(len(at)), "at": at})
    stored = _write_both(db, tables, frame, monkeypatch)
    assert [r.at for r in stored] == [*utc.to_pydatetime().tolist(), None]
    assert all(r.at.tzinfo is UTC for r in stored[:-1])


def test_nanoseconds_are_floored_like_to_pydatetime(db, tables, monkeypatch):
    at = pd.to_datetime(["2024-01-01 00:00:00.000001999", "1969-12-31 23:59:59.999999001"], utc=True)
    wall = at.tz_localize(None)
    frame = pd.DataFrame({"k": _keys(2), "at": at, "wall": wall})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # to_pydatetime may warn about discarded nanoseconds
        stored = _write_both(db, tables, frame, monkeypatch)
    expected = [datetime(2024, 1, 1, 0, 0, 0, 1), datetime(1969, 12, 31, 23, 59, 59, 999999)]
    assert [r.wall for r in stored] == expected
    assert [r.at for r in stored] == [e.replace(tzinfo=UTC) for e in expected]


def test_dst_ambiguous_wall_clock_values_are_stored_verbatim(db, tables, monkeypatch):
    # US fall-back: 01:00-01:59 local happens twice; the key is the instant, the wall clock repeats.
    utc = pd.date_range("2024-11-03 05:00", periods=4, freq="30min", tz="UTC")
    local = utc.tz_convert("America/Chicago")
    frame = pd.DataFrame({
        "k": _keys(4),
        "at": utc,
        "wall": local.tz_localize(None),
    })
    stored = _write_both(db, tables, frame, monkeypatch)
    walls = [r.wall for r in stored]
    assert walls == [datetime(2024, 11, 3, 0, 0), datetime(2024, 11, 3, 0, 30),
                     datetime(2024, 11, 3, 1, 0), datetime(2024, 11, 3, 1, 30)]
    # ... and a spring-forward wall clock that never happened locally is still stored as given.
    gap = pd.DataFrame({"k": ["gap"], "wall": [pd.Timestamp("2024-03-10 02:30")]})
    with db.begin() as conn:
        upsert_frame(conn, tables[0], gap, ["k"])
        value = conn.execute(select(tables[0].c.wall).where(tables[0].c.k == "gap")).scalar_one()
    assert value == datetime(2024, 3, 10, 2, 30)
    assert value.tzinfo is None


def test_json_and_object_columns_take_the_per_value_path(db, tables, monkeypatch):
    frame = pd.DataFrame({
        "k": _keys(4),
        "doc": [{"a": 1, "s": "x,\"y\"\n"}, None, [1, 2.5], "text"],
        "s": ["a", None, "b", "c"],
        "i": np.array([1, 2, 3, 4], dtype="uint8"),
    })
    stored = _write_both(db, tables, frame, monkeypatch)
    assert stored[0].doc == {"a": 1, "s": "x,\"y\"\n"}
    assert stored[2].doc == [1, 2.5]
    assert [r.i for r in stored] == [1, 2, 3, 4]


def test_many_chunks_with_varying_widths_and_scattered_nulls(db, tables, monkeypatch):
    # Small COPY chunks exercise the gather path (mixed string widths, NULLs inside fixed-width
    # columns) across chunk boundaries.
    monkeypatch.setattr(pg_copy, "_COPY_CHUNK_ROWS", 7)
    rng = np.random.default_rng(1)
    n = 50
    x = rng.normal(size=n)
    x[rng.random(n) < 0.3] = np.nan
    at = pd.Series(pd.date_range("2025-01-01", periods=n, freq="37min", tz="UTC"))
    at[rng.random(n) < 0.2] = pd.NaT
    words = np.array(["", "a", "bb,", "c\"cc", "dddd\n", "é"], dtype=object)
    frame = pd.DataFrame({
        "k": _keys(n),
        "s": words[rng.integers(0, len(words), n)],
        "x": x,
        "i": pd.array(np.where(rng.random(n) < 0.25, None, rng.integers(-5, 5, n)), dtype="Int32"),
        "flag": rng.random(n) < 0.5,
        "at": at,
    })
    _write_both(db, tables, frame, monkeypatch)


def test_updates_go_through_the_fast_path_too(db, tables, monkeypatch):
    frame = pd.DataFrame({"k": _keys(3), "s": ["a", "b", "c"], "x": [1.0, 2.0, 3.0]})
    changed = frame.assign(s=["a", "b,\n\"changed\"", None], x=[1.0, math.nan, 0.1 + 0.2])
    fast, _ = tables
    with db.begin() as conn:
        upsert_frame(conn, fast, frame, ["k"])
        assert upsert_frame(conn, fast, changed, ["k"]) == 3
        rows = conn.execute(select(fast.c.s, fast.c.x).order_by(fast.c.k)).all()
    assert rows[1] == ("b,\n\"changed\"", None)
    assert rows[2].s is None and _bits(rows[2].x) == _bits(0.1 + 0.2)


def test_aware_values_in_a_wall_clock_column_are_still_refused(db, tables):
    frame = pd.DataFrame({"k": ["a"], "wall": pd.to_datetime(["2025-01-01 00:00"], utc=True)})
    with db.begin() as conn, pytest.raises(ValueError, match="refuses tz-aware"):
        upsert_frame(conn, tables[0], frame, ["k"])


@pytest.mark.parametrize("values", [
    np.array([1, 2**31], dtype="int64"),
    pd.array([-(2**31) - 1, None], dtype="Int64"),
    np.array([1, 2**63], dtype="uint64"),
    [1, 2**40],  # object column: the per-value path
])
def test_integer_overflow_is_refused_on_postgresql(db, tables, values):
    # psycopg's binary int4 dumper would silently store 2**31 as -2**31.
    if db.dialect.name != "postgresql":
        pytest.skip("SQLite integers are 64-bit whatever the declared type")
    frame = pd.DataFrame({"k": ["a", "b"], "i": values})
    with db.begin() as conn:
        with pytest.raises(ValueError, match="cannot hold"):
            upsert_frame(conn, tables[0], frame, ["k"])
        assert conn.execute(select(sa.func.count()).select_from(tables[0])).scalar_one() == 0


def test_instants_are_stored_as_utc_text_on_sqlite(db, tables):
    if db.dialect.name != "sqlite":
        pytest.skip("SQLite storage format")
    at = pd.to_datetime(["2025-07-01 12:34:56.789012+02:00"], utc=True)
    frame = pd.DataFrame({"k": ["a"], "at": at, "wall": [datetime(2025, 7, 1, 12, 0)]})
    with db.begin() as conn:
        upsert_frame(conn, tables[0], frame, ["k"])
        raw = conn.exec_driver_sql("SELECT at, wall FROM fast_path").one()
    assert tuple(raw) == ("2025-07-01 10:34:56.789012", "2025-07-01 12:00:00.000000")


def test_meter_like_frame_on_both_paths(db, tables, monkeypatch):
    n = 1000
    start = datetime(2024, 11, 3, 4, 0, tzinfo=UTC)
    utc = pd.DatetimeIndex([start + timedelta(minutes=15 * i) for i in range(n)])
    frame = pd.DataFrame({
        "k": [f"m{i:05d}" for i in range(n)],
        "v": pd.Categorical(["consumption", "generation"] * (n // 2)),
        "at": utc,
        "wall": utc.tz_convert("America/Chicago").tz_localize(None),
        "small": np.full(n, 15, dtype="int64"),
        "flag": np.arange(n) % 3 == 0,
        "x": np.random.default_rng(0).gamma(2.0, 0.15, n).round(3),
        "big": None,
        "at2": None,
    }).drop(columns="at2")
    _write_both(db, tables, frame, monkeypatch)
