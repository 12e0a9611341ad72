"""The long `meter,timestamp,kWh` meter format: golden on real SGSC rows across both Sydney DST days,
a property round trip, gzip input, and malformed files (each message asserted)."""

from __future__ import annotations

import contextlib
import gzip
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gridflow.errors import ConfigError, ParseError
from gridflow.sources.meters import KNOWN_FORMATS, detect_format, parse_meter_bytes, parse_meter_file
from gridflow.sources.meters.dst import check_zone

FIX = Path(__file__).resolve().parents[3] / "fixtures" / "meters"
EXCERPT = FIX / "long_sgsc_dst_days_excerpt.csv"
SYDNEY = "Australia/Sydney"
HEADER = "meter,timestamp,kWh\n"


def parse(body: str, tz: str = SYDNEY, header: str = HEADER):
    return parse_meter_bytes((header + body).encode(), "long.csv", tz=tz)


def test_sgsc_excerpt_matches_golden():
    parsed = parse_meter_file(EXCERPT, tz=SYDNEY)
    golden = pd.read_csv(FIX / "golden_long_sgsc_dst_days_excerpt.csv")
    got = parsed.frame.reset_index(drop=True)
    assert parsed.format == "long_meter_timestamp_kwh" and parsed.rows_read == 26
    # The excerpt holds two days of one meter: the months between are a gap, not longer intervals.
    assert parsed.issues == ["meter SGSC-10006572: 1 gap(s) longer than one 30-minute interval between readings"]
    assert got["meter_id"].astype(str).tolist() == golden["meter_id"].tolist()
    assert got["channel"].astype(str).tolist() == golden["channel"].tolist()
    assert got["interval_start_utc"].astype(str).tolist() == golden["interval_start_utc"].tolist()
    assert got["interval_start_local"].astype(str).tolist() == golden["interval_start_local"].tolist()
    assert got["is_dst"].tolist() == golden["is_dst"].tolist()
    assert got["interval_minutes"].tolist() == golden["interval_minutes"].tolist()
    assert got["kwh"].tolist() == golden["kwh"].tolist()
    # Fall-back day: the repeated local 02:00 hour holds two distinct instants, told apart by the offset.
    fall = got[got["interval_start_local"] == pd.Timestamp("2013-04-07 02:00")]
    assert fall["is_dst"].tolist() == [True, False]


def test_detected_by_header_any_case_and_spacing():
    assert detect_format(b" Meter , TIMESTAMP ,kwh\nm,2013-01-01T00:00+10:00,1\n") == "long_meter_timestamp_kwh"
    assert any("meter,timestamp,kWh" in name for name in KNOWN_FORMATS)
    parsed = parse("m,2013-01-01T00:00+10:00,1\n", header=" Meter , TIMESTAMP ,kwh\n")
    assert len(parsed.frame) == 1


def test_gzip_file_reads_as_its_content(tmp_path):
    data = EXCERPT.read_bytes()
    packed = tmp_path / "excerpt.csv.gz"
    packed.write_bytes(gzip.compress(data, mtime=0))
    plain = parse_meter_file(EXCERPT, tz=SYDNEY).frame
    pd.testing.assert_frame_equal(parse_meter_file(packed, tz=SYDNEY).frame, plain)


def test_truncated_gzip_is_a_parse_error():
    packed = gzip.compress(EXCERPT.read_bytes())
    with pytest.raises(ParseError, match="unreadable gzip file"):
        parse_meter_bytes(packed[: len(packed) // 2], "cut.csv.gz", tz=SYDNEY)


def test_a_meter_with_only_blank_readings_has_no_rows():
    parsed = parse("a,2013-01-01T00:00+10:00,1\na,2013-01-01T00:30+10:00,1\nb,2013-01-01T00:00+10:00,\n")
    assert parsed.frame["meter_id"].astype(str).tolist() == ["a", "a"]
    assert parsed.issues == ["1 blank kWh value(s) dropped: missing readings (lines 4)"]


def test_gzip_inflating_past_the_cap_is_refused(monkeypatch):
    from gridflow.sources.meters import detect

    monkeypatch.setattr(detect, "MAX_INFLATED_BYTES", 1000)  # the real cap is 1 GiB: too big for a unit test
    bomb = gzip.compress(HEADER.encode() + b"0" * 5000)
    with pytest.raises(ParseError, match="inflates past"):
        parse_meter_bytes(bomb, "bomb.csv.gz")


def test_interval_length_inferred_per_meter():
    body = ("a,2013-01-01T00:00+10:00,1\na,2013-01-01T00:30+10:00,1\n"
            "b,2013-01-01T00:00+10:00,1\nb,2013-01-01T00:15+10:00,1\nb,2013-01-01T01:00+10:00,1\n")
    parsed = parse(body)
    minutes = parsed.frame.groupby(parsed.frame["meter_id"].astype(str))["interval_minutes"].first().to_dict()
    assert minutes == {"a": 30, "b": 15}
    assert parsed.issues == ["meter b: 1 gap(s) longer than one 15-minute interval between readings"]


def test_local_times_without_offset_outside_the_repeated_hour_load():
    parsed = parse("a,2013-04-07T01:30,1\na,2013-04-07T03:00,2\n")
    assert parsed.frame["interval_start_utc"].astype(str).tolist() == ["2013-04-06 14:30:00+00:00",
                                                                      "2013-04-06 17:00:00+00:00"]
    assert parsed.frame["is_dst"].tolist() == [True, False]


def test_blank_kwh_is_a_missing_reading_and_exact_repeats_drop():
    parsed = parse("a,2013-01-01T00:00+10:00,\na,2013-01-01T00:30+10:00,1\na,2013-01-01T00:30+10:00,1\n")
    assert len(parsed.frame) == 1
    assert parsed.issues[:2] == ["1 blank kWh value(s) dropped: missing readings (lines 2)",
                                 "1 repeated row(s) dropped (lines 4)"]


@pytest.mark.parametrize("body, message", [
    ("a,2013-01-01T00:00+10:00,n/a\n", "line 2: kWh 'n/a' is not a number"),
    ("a,2013-01-01T00:00+10:00,1\na,2013-01-01T00:30+10:00,-0.2\n", "line 3: negative kWh"),
    ("a,2013-01-01T00:00+10:00,inf\n", "line 2: kWh 'inf' is not a number"),
    ("a,2013-13-01T00:00+10:00,1\n", "line 2: timestamp '2013-13-01T00:00+10:00' is not an ISO 8601 time"),
    ("a,yesterday,1\n", "line 2: timestamp 'yesterday' is not in an accepted layout"),
    ("a,2013-01-01T00:00+10:00,1\na,2013-01-01T00:30,1\n", "line 3: timestamp '2013-01-01T00:30' has no UTC offset"),
    ("a,2013-01-01T00:00+10:00,1\nb,2013-01-01T00:00+10:00,2\na,2013-01-01T00:00+10:00,3\n",
     "line 2, 4: the same timestamp appears more than once with different kWh"),
    # The same instant written in two offsets is one interval.
    ("a,2013-04-07T02:00+11:00,1\na,2013-04-07T01:00+10:00,2\n",
     "line 2, 3: the same timestamp appears more than once with different kWh"),
    ("a,2013-04-07T01:30,1\na,2013-04-07T02:00,2\na,2013-04-07T02:30,2\n",
     "line 3, 4: local time '2013-04-07T02:00', '2013-04-07T02:30' lies in the repeated fall-back hour of "
     "Australia/Sydney and has no UTC offset: ambiguous"),
    ("a,2013-10-06T02:30,1\n", "line 2: local time '2013-10-06T02:30' does not exist in Australia/Sydney"),
    (" ,2013-01-01T00:00+10:00,1\n", "line 2: meter id is empty"),
    ("a,2013-01-01T00:00+10:00\n", "line 2: expected 3 fields, found 2"),
    ("a,2013-01-01T00:00+10:00,1\na,2013-01-01T00:30+10:00,1\na,2013-01-01T00:", "line 4: truncated last line"),
    ("a,2013-01-01T00:00+10:00,1\na,2013-01-01T00:07+10:00,1\n", "interval length of meter a (7 min)"),
])
def test_malformed_rows_name_line_and_value(body, message):
    with pytest.raises(ParseError) as err:
        parse(body)
    assert message in str(err.value)


def test_wrong_header_names_the_expected_one():
    with pytest.raises(ParseError, match="line 1: header 'meter,time,kWh' is not 'meter,timestamp,kWh'"):
        parse("a,2013-01-01T00:00+10:00,1\n", header="meter,time,kWh\n")


def test_unknown_zone_is_a_config_error():
    with pytest.raises(ConfigError, match="unknown time zone 'Sydney'"):
        check_zone("Sydney")


_HALF = pd.Timedelta(minutes=30)
# Both Sydney DST days of 2013, each with a day either side: 02:00-03:00 local is repeated on the
# first and skipped on the second.
_WINDOWS = [pd.Timestamp("2013-04-06 00:00", tz="UTC"), pd.Timestamp("2013-10-05 00:00", tz="UTC")]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    window=st.sampled_from(_WINDOWS),
    picks=st.lists(st.tuples(st.sampled_from(["SGSC-1", "SGSC-2", "x 3"]), st.integers(0, 3 * 48 - 1)),
                   min_size=1, max_size=80, unique=True),
    values=st.lists(st.floats(min_value=0, max_value=50, allow_nan=False), min_size=80, max_size=80),
    written_in=st.sampled_from(["sydney", "aest", "utc"]),
)
def test_round_trip_across_sydney_dst_days(window, picks, values, written_in):
    rows = [(m, window + slot * _HALF, v) for (m, slot), v in zip(picks, values, strict=False)]
    zone = {"sydney": SYDNEY, "aest": "Etc/GMT-10", "utc": "UTC"}[written_in]
    lines = "".join(f"{m},{t.tz_convert(zone).isoformat()},{v!r}\n" for m, t, v in rows)
    frame = parse(lines).frame
    got = sorted(zip(frame["meter_id"].astype(str), frame["interval_start_utc"], frame["kwh"], strict=True))
    assert got == sorted(rows)
    local = frame["interval_start_utc"].dt.tz_convert(SYDNEY)
    assert (frame["interval_start_local"] == local.dt.tz_localize(None)).all()
    assert frame["is_dst"].tolist() == [bool(t.dst()) for t in local]


@settings(max_examples=100, deadline=None)
@given(body=st.text(alphabet=st.sampled_from(list("ab0123456789-:T+, \n.")), max_size=150))
def test_garbage_is_parse_error_only(body):
    with contextlib.suppress(ParseError):
        parse(body)
