"""HourEnding/DSTFlag -> UTC: exact on ordinary and DST days, strict where labels are ambiguous."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gridflow.errors import ParseError
from gridflow.sources.ercot import times

CHICAGO = ZoneInfo("America/Chicago")


def convert(rows: list[tuple[str, str, str | None]], group=None) -> times.ErcotTimes:
    frame = pd.DataFrame(rows, columns=["d", "h", "f"])
    flags = None if frame["f"].isna().all() else times.parse_dst_flag(frame["f"], len(frame), "t")
    return times.to_utc(times.parse_delivery_date(frame["d"], "t"), times.parse_hour_ending(frame["h"], "t"),
                        flags, group, "t")


def reference_day(day: date) -> list[tuple[str, str, str, datetime]]:
    """Independent encoder (zoneinfo, not pandas): every hour of the local day as ERCOT labels + UTC start."""
    start = datetime(day.year, day.month, day.day, tzinfo=CHICAGO).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=CHICAGO).astimezone(UTC)
    rows, t = [], start
    while t < end:
        local = t.astimezone(CHICAGO)
        # fold=1 is the second occurrence of a repeated wall-clock hour: ERCOT's DSTFlag=Y.
        rows.append((local.strftime("%m/%d/%Y"), f"{local.hour + 1:02d}:00", "Y" if local.fold else "N", t))
        t += timedelta(hours=1)
    return rows


@settings(max_examples=300, deadline=None)
@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 12, 31)))
def test_every_day_2000_2030_round_trips_exactly(day):
    rows = reference_day(day)
    result = convert([r[:3] for r in rows])
    expected = pd.DatetimeIndex([r[3] for r in rows]).as_unit("ns")
    assert list(result.interval_start_utc.as_unit("ns")) == list(expected)
    assert len(rows) in (23, 24, 25)
    # local wall clock and DST flag agree with zoneinfo
    assert [t.to_pydatetime() for t in result.interval_start_local] == [
        r[3].astimezone(CHICAGO).replace(tzinfo=None) for r in rows]
    assert list(result.is_dst) == [bool(r[3].astimezone(CHICAGO).dst()) for r in rows]
    # and back: UTC -> labels reproduces the file's labels
    labels = times.to_labels(result.interval_start_utc)
    assert list(labels.itertuples(index=False, name=None)) == [r[:3] for r in rows]


def test_all_dst_transition_days_2000_2030():
    # The property test samples days; the 62 transition days are where bugs live, so check all.
    checked = 0
    for year in range(2000, 2031):
        for month in (3, 4, 10, 11):
            for d in range(1, 32):
                try:
                    day = date(year, month, d)
                except ValueError:
                    continue
                rows = reference_day(day)
                if len(rows) == 24:
                    continue
                result = convert([r[:3] for r in rows])
                assert list(result.interval_start_utc) == [pd.Timestamp(r[3]) for r in rows]
                checked += 1
    assert checked == 62


def test_fall_back_polarity_follows_mis_csv_convention():
    result = convert([("11/05/2023", "02:00", "N"), ("11/05/2023", "02:00", "Y")])
    assert [str(t) for t in result.interval_start_utc] == ["2023-11-05 06:00:00+00:00", "2023-11-05 07:00:00+00:00"]
    assert list(result.is_dst) == [True, False]  # DSTFlag=Y is the repeated, standard-time hour
    assert result.interval_start_local[0] == result.interval_start_local[1] == pd.Timestamp("2023-11-05 01:00")


def test_hour_ending_24_is_the_last_hour_of_the_same_day():
    result = convert([("11/17/2023", "24:00", "N")])
    assert str(result.interval_start_utc[0]) == "2023-11-18 05:00:00+00:00"
    assert result.interval_start_local[0] == pd.Timestamp("2023-11-17 23:00")


@pytest.mark.parametrize("label", ["01:00", "1:00", "1", " 01:00 "])
def test_hour_ending_spellings(label):
    assert times.parse_hour_ending(pd.Series([label]), "t").tolist() == [1]


@pytest.mark.parametrize("label", ["00:00", "25:00", "1:30", "x", ""])
def test_bad_hour_ending(label):
    with pytest.raises(ParseError, match=re.escape("HourEnding must be 01:00..24:00")):
        times.parse_hour_ending(pd.Series([label]), "t")


def test_repeated_hour_without_flag_column_is_refused():
    with pytest.raises(ParseError, match=r"DST repeated hour without flag.*no DSTFlag column"):
        convert([("11/05/2023", "02:00", None), ("11/05/2023", "02:00", None)])


def test_repeated_hour_with_same_flag_is_refused():
    with pytest.raises(ParseError, match=r"DST repeated hour without flag.*same DSTFlag"):
        convert([("11/05/2023", "02:00", "N"), ("11/05/2023", "02:00", "N")])


def test_repeated_hour_of_different_series_is_fine():
    result = convert([("11/05/2023", "02:00", "N"), ("11/05/2023", "02:00", "N")], group=["A", "B"])
    assert len(set(result.interval_start_utc)) == 1


def test_spring_forward_gap_label_is_refused():
    with pytest.raises(ParseError, match="does not exist"):
        convert([("03/12/2023", "03:00", "N")])


def test_flag_y_outside_the_repeated_hour_is_refused():
    with pytest.raises(ParseError, match="not the repeated fall-back hour"):
        convert([("08/05/2025", "02:00", "Y")])


def test_bad_flag_and_date():
    with pytest.raises(ParseError, match="DSTFlag must be Y or N"):
        times.parse_dst_flag(pd.Series(["X"]), 1, "t")
    with pytest.raises(ParseError, match="must be MM/DD/YYYY"):
        times.parse_delivery_date(pd.Series(["2023-11-05"]), "t")
    assert times.parse_dst_flag(None, 3, "t") is None
    assert np.array_equal(times.parse_dst_flag(pd.Series(["y", "N "]), 2, "t"), [True, False])
