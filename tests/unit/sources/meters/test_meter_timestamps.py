"""Timestamp layouts of the `timestamp,kWh` file: every accepted layout reads back the same instant
(local wall clock with the DST rules), ambiguous or unknown layouts are rejected naming line and value."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from gridflow.errors import ParseError
from gridflow.frames import ERCOT_TZ
from gridflow.sources.meters import parse_meter_bytes
from gridflow.sources.meters.timestamps import ISO, US_LONG, US_SHORT, parse_timestamps


def render(moment: datetime, layout: str, padded: bool = True, seconds: bool = False) -> str:
    """`moment` (naive wall clock) written in `layout`, as an export would write it."""
    if layout == ISO:
        return moment.isoformat(sep="T" if padded else " ", timespec="seconds" if seconds else "minutes")
    year = f"{moment.year:04d}" if layout == US_LONG else f"{moment.year % 100:02d}"
    cells = (moment.month, moment.day, moment.hour)
    month, day, hour = (f"{c:02d}" if padded else str(c) for c in cells)
    clock = f"{hour}:{moment.minute:02d}" + (f":{moment.second:02d}" if seconds else "")
    return f"{month}/{day}/{year} {clock}"


def file_of(stamps: list[str], values: list[float] | None = None) -> bytes:
    values = values or [1.0] * len(stamps)
    return ("timestamp,kWh\n" + "".join(f"{t},{v}\n" for t, v in zip(stamps, values, strict=True))).encode()


@settings(max_examples=200, deadline=None)
@given(moment=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2068, 12, 31, 23, 59, 59)),
       layout=st.sampled_from([ISO, US_LONG, US_SHORT]), padded=st.booleans(), seconds=st.booleans())
def test_every_accepted_layout_parses_back_to_the_same_wall_clock(moment, layout, padded, seconds):
    if not seconds:
        moment = moment.replace(second=0)
    moment = moment.replace(microsecond=0)
    got = parse_timestamps([render(moment, layout, padded, seconds)])
    assert len(got.bad) == 0, got.problem
    assert (got.layout, got.aware) == (layout, False)
    assert pd.Timestamp(int(got.ns[0])) == pd.Timestamp(moment)


@settings(max_examples=100, deadline=None)
@given(moment=st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2099, 12, 31)),
       offset_minutes=st.sampled_from([0, -300, -360, 330, 60]))
def test_iso_with_an_offset_is_an_exact_instant(moment, offset_minutes):
    moment = moment.replace(second=0, microsecond=0)
    written = pd.Timestamp(moment, tz="UTC").tz_convert(timezone(timedelta(minutes=offset_minutes)))
    got = parse_timestamps([written.isoformat()])
    assert got.aware and pd.Timestamp(int(got.ns[0])) == pd.Timestamp(moment)


# Days around the Central DST changes (and ordinary days) between 2000 and 2060, as UTC instants.
DST_DAYS = [pd.Timestamp(f"{y}-{md}") for y in range(2000, 2061) for md in ("03-08", "03-14", "11-01", "11-07")]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(day=st.sampled_from(DST_DAYS), start_quarter=st.integers(0, 7 * 96), count=st.integers(1, 300),
       layout=st.sampled_from([US_LONG, US_SHORT]), padded=st.booleans(), seconds=st.booleans())
# Always run across both changes of 2024: 00:00 CDT .. 02:45 CST on 11/03, 01:00 CST .. 04:45 CDT on 03/10.
@example(day=pd.Timestamp("2024-11-01"), start_quarter=2 * 96 + 20, count=16, layout=US_SHORT, padded=False,
         seconds=False)
@example(day=pd.Timestamp("2024-03-08"), start_quarter=2 * 96 + 28, count=12, layout=US_LONG, padded=True,
         seconds=True)
def test_a_local_series_in_any_layout_loads_the_same_instants_as_iso_with_offsets(
        day, start_quarter, count, layout, padded, seconds):
    # A meter's 15-minute series written as Central wall clock, in file order: the fall-back hour
    # appears twice (daylight first), the spring-forward hour not at all.
    start = day.tz_localize("UTC") + pd.Timedelta(minutes=15 * start_quarter)
    utc = [start + pd.Timedelta(minutes=15 * i) for i in range(count)]
    local = [t.tz_convert(ERCOT_TZ).tz_localize(None).to_pydatetime() for t in utc]
    # A file that starts inside the second pass of the fall-back hour cannot say so: excluded.
    first = pd.Timestamp(local[0]).tz_localize(ERCOT_TZ, ambiguous="NaT")
    assume(not (pd.isna(first) and utc[0].tz_convert(ERCOT_TZ).dst() == timedelta(0)))
    values = [float(i % 7) for i in range(count)]
    as_local = parse_meter_bytes(file_of([render(t, layout, padded, seconds) for t in local], values), "m.csv")
    as_iso = parse_meter_bytes(file_of([t.tz_convert(ERCOT_TZ).isoformat() for t in utc], values), "m.csv")
    got = as_local.frame.sort_values("interval_start_utc").reset_index(drop=True)
    assert got["interval_start_utc"].tolist() == utc
    pd.testing.assert_frame_equal(got, as_iso.frame.sort_values("interval_start_utc").reset_index(drop=True))


@pytest.mark.parametrize(("rows", "message"), [
    (["13/01/2024 00:00", "13/01/2024 00:15"], "line 2, 3: timestamp '13/01/2024 00:00', '13/01/2024 00:15' "
                                               "has month 13: day-first dates (DD/MM) are not accepted"),
    (["01/13/2024 00:00", "2024-01-13T00:15", "01/13/2024 00:30"],
     "line 3: timestamp '2024-01-13T00:15' is ISO 8601 but the file's other timestamps are MM/DD/YYYY HH:MM[:SS]"),
    (["01/13/24 00:00", "01/13/2024 00:15", "01/13/24 00:30"],
     "line 3: timestamp '01/13/2024 00:15' is MM/DD/YYYY HH:MM[:SS] but the file's other timestamps are "
     "MM/DD/YY HH:MM[:SS]"),
    (["2024.01.13 00:00"], "line 2: timestamp '2024.01.13 00:00' is not in an accepted layout"),
    (["13 Jan 2024 00:00"], "line 2: timestamp '13 Jan 2024 00:00' is not in an accepted layout"),
    (["01/13/2024"], "line 2: timestamp '01/13/2024' is not in an accepted layout"),
    (["01/13/2024 24:00"], "line 2: timestamp '01/13/2024 24:00' is not a valid MM/DD/YYYY HH:MM[:SS] time"),
    (["02/30/2024 00:00"], "line 2: timestamp '02/30/2024 00:00' is not a valid MM/DD/YYYY HH:MM[:SS] time"),
    (["01/13/1960 00:00"], "is not a valid MM/DD/YYYY HH:MM[:SS] time between 1970 and 2100"),
    (["03/10/2024 02:15"], "line 2: local time does not exist in America/Chicago (spring-forward gap)"),
    (["2024-01-13T00:00Z", "2024-01-13T00:15", "2024-01-13T00:30Z"],
     "line 3: timestamp '2024-01-13T00:15' has no UTC offset while others have one"),
    (["2024-01-13T00:00", "2024-01-13T00:15-06:00", "2024-01-13T00:30"],
     "line 3: timestamp '2024-01-13T00:15-06:00' has a UTC offset while others have none"),
])
def test_rejected_layouts_name_line_value_and_the_accepted_layouts(rows, message):
    with pytest.raises(ParseError) as err:
        parse_meter_bytes(file_of(rows), "m.csv")
    assert message in str(err.value)
    if "spring-forward" not in message:
        assert "accepted layouts: ISO 8601" in str(err.value) and "MM/DD/YY HH:MM[:SS]" in str(err.value)


def test_two_digit_years_follow_the_posix_rule():
    got = parse_timestamps(["1/2/68 0:00", "1/2/69 0:00", "12/31/99 23:45"])
    assert len(got.bad) == 1 and got.bad[0] == 1  # 1969 is before the 1970 floor
    got = parse_timestamps(["1/2/68 0:00", "12/31/99 23:45"])
    assert [str(pd.Timestamp(int(n))) for n in got.ns] == ["2068-01-02 00:00:00", "1999-12-31 23:45:00"]
