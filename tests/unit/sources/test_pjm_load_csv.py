"""Tests for the PJM hourly load parsers (gridflow.sources.pjm_load_csv).

Goldens in tests/fixtures/pjm/golden/ were generated once by running the parser and then
HAND-CHECKED row by row before committing: each interval_start_utc was recomputed from the
hour-ending label (label - 1 h, EST = UTC-5 / EDT = UTC-4, first fall-back repeat = EDT), and the
Data Miner sums were added up by hand (DPL = DPLCO + EASTON, verified row beats unverified, last
unverified row wins). If a golden has to change, re-check it the same way; do not regenerate it
blindly.

tests/fixtures/pjm/PJME_hourly_excerpt.csv holds lines 1, 2-49, 97803-97849, 106585-106633 and
112298-112344 of data/PJME_hourly.csv, verbatim and in the file's original order.
"""

from __future__ import annotations

import functools
import io
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gridflow import frames
from gridflow.errors import ParseError
from gridflow.ingest.contract import Parsed
from gridflow.sources.pjm_load_csv import (
    DATAMINER_HRL_LOAD_METERED_COLUMNS,
    detect_and_parse,
    parse_dataminer_hrl_load_metered,
    parse_kaggle_hourly,
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "pjm"
GOLDEN = FIXTURES / "golden"
REAL_PJME = Path(__file__).resolve().parents[3] / "data" / "PJME_hourly.csv"
KAGGLE_EXCERPT = FIXTURES / "PJME_hourly_excerpt.csv"
DM_LF = FIXTURES / "hrl_load_metered_dpl_ae_2023-11-05.csv"
DM_BOM_CRLF = FIXTURES / "hrl_load_metered_dpl_ae_2023-11-05_bom_crlf.csv"
DM_HEADER = ",".join(DATAMINER_HRL_LOAD_METERED_COLUMNS)
NY = frames.PJM_TZ
UTC, LOCAL = frames.INTERVAL_START_UTC, frames.INTERVAL_START_LOCAL


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------


def read_golden(name: str) -> pd.DataFrame:
    raw = pd.read_csv(GOLDEN / name, dtype=str, keep_default_na=False)
    return pd.DataFrame(
        {
            frames.ZONE: raw["zone"].astype("string"),
            UTC: pd.to_datetime(raw[UTC], format="%Y-%m-%d %H:%M:%S%z").dt.tz_convert("UTC").dt.as_unit("ns"),
            LOCAL: pd.to_datetime(raw[LOCAL], format="%Y-%m-%d %H:%M:%S").dt.as_unit("ns"),
            frames.IS_DST: raw[frames.IS_DST].map({"True": True, "False": False}).astype(bool),
            frames.LOAD_MW: raw[frames.LOAD_MW].astype("float64"),
        }
    )


def assert_canonical(frame: pd.DataFrame) -> None:
    assert list(frame.columns) == frames.LOAD_COLUMNS
    assert frame.dtypes.to_dict() == frames.empty_load_frame().dtypes.to_dict()
    assert not frame.duplicated(frames.LOAD_KEY).any()
    for _, group in frame.groupby(frames.ZONE, observed=True):
        assert (np.diff(group[UTC].array.asi8) > 0).all()
    assert frame.index.equals(pd.RangeIndex(len(frame)))


def kaggle(*rows: str, header: str = "Datetime,PJME_MW") -> io.StringIO:
    return io.StringIO("\n".join([header, *rows]) + "\n")


def row_at(frame: pd.DataFrame, utc: str) -> pd.Series:
    hit = frame[frame[UTC] == pd.Timestamp(utc)]
    assert len(hit) == 1, hit
    return hit.iloc[0]


# --------------------------------------------------------------------------------------------
# golden files
# --------------------------------------------------------------------------------------------


def test_kaggle_excerpt_matches_golden() -> None:
    result = parse_kaggle_hourly(KAGGLE_EXCERPT)
    assert_canonical(result.frame)
    pd.testing.assert_frame_equal(result.frame, read_golden("PJME_hourly_excerpt.csv"))
    assert result.rows_read == 191 == len(result.frame)


def test_kaggle_excerpt_dst_and_day_boundary() -> None:
    frame = parse_kaggle_hourly(KAGGLE_EXCERPT).frame

    # 2014-11-02: label 02:00 twice; first in file order is EDT, second EST.
    edt = row_at(frame, "2014-11-02 05:00Z")
    est = row_at(frame, "2014-11-02 06:00Z")
    assert (edt[LOCAL], edt[frames.IS_DST], edt[frames.LOAD_MW]) == (
        pd.Timestamp("2014-11-02 01:00"),
        True,
        22935.0,
    )
    assert (est[LOCAL], est[frames.IS_DST], est[frames.LOAD_MW]) == (
        pd.Timestamp("2014-11-02 01:00"),
        False,
        23755.0,
    )

    # Label 2003-01-01 00:00 is the last hour of 2002-12-31.
    boundary = frame[frame[frames.LOAD_MW] == 27008.0].iloc[0]
    assert boundary[LOCAL] == pd.Timestamp("2002-12-31 23:00")
    assert boundary[UTC] == pd.Timestamp("2003-01-01 04:00Z")
    assert not boundary[frames.IS_DST]

    # Spring forward 2014-03-09: nothing invented, and UTC runs on without a gap.
    spring = frame[frame[LOCAL].dt.date == pd.Timestamp("2014-03-09").date()]
    assert len(spring) == 23
    assert pd.Timestamp("2014-03-09 02:00") not in set(spring[LOCAL])
    assert (np.diff(spring[UTC].array.asi8) == 3_600_000_000_000).all()

    # Pre-2014 fall back (2013-11-03): label 02:00 absent, so both 01:00 hours are missing.
    fall = frame[frame[LOCAL].dt.date == pd.Timestamp("2013-11-03").date()]
    assert len(fall) == 23
    assert pd.Timestamp("2013-11-03 01:00") not in set(fall[LOCAL])


def test_kaggle_excerpt_reports_gaps() -> None:
    issues = parse_kaggle_hourly(KAGGLE_EXCERPT).issues
    gap_notes = [i for i in issues if "missing hour" in i]
    assert len(gap_notes) == 1
    assert "2013-11-03 05:00Z (2 h)" in gap_notes[0]
    assert "4 gap(s)" in gap_notes[0]


@pytest.mark.skipif(not REAL_PJME.exists(), reason="data/PJME_hourly.csv not present")
def test_real_pjme_file() -> None:
    result = parse_kaggle_hourly(REAL_PJME)
    frame = result.frame
    assert_canonical(frame)
    # 145,366 data rows; the 4 repeated 02:00 labels (2014-2017) are distinct EST hours and no
    # other label repeats, so nothing is dropped.
    assert result.rows_read == 145_366
    assert len(frame) == 145_366
    assert frame[UTC].is_unique
    assert (np.diff(frame[UTC].array.asi8) > 0).all()
    assert frame[frames.ZONE].unique().tolist() == ["PJME"]
    assert frame[UTC].iloc[0] == pd.Timestamp("2002-01-01 05:00Z")
    assert frame[UTC].iloc[-1] == pd.Timestamp("2018-08-03 03:00Z")
    # UTC gaps: 2 h on each pre-2014 fall-back day (2002-2013) plus the real 2010-12-10 gap.
    span_hours = (frame[UTC].iloc[-1] - frame[UTC].iloc[0]) // pd.Timedelta(hours=1) + 1
    assert span_hours - len(frame) == 25
    assert result.issues == [i for i in result.issues if "missing hour" in i]
    assert "25 missing hour(s) in 13 gap(s)" in result.issues[0]
    assert not any("duplicate" in i for i in result.issues)
    for year_day in ["2014-11-02", "2015-11-01", "2016-11-06", "2017-11-05"]:
        day = frame[frame[LOCAL].dt.date == pd.Timestamp(year_day).date()]
        assert len(day) == 25


@pytest.mark.parametrize("path", [DM_LF, DM_BOM_CRLF], ids=["lf", "bom_crlf"])
def test_dataminer_matches_golden(path: Path) -> None:
    result = parse_dataminer_hrl_load_metered(path)
    assert_canonical(result.frame)
    pd.testing.assert_frame_equal(result.frame, read_golden("hrl_load_metered_dpl_ae_2023-11-05_zone.csv"), rtol=1e-9)
    assert result.rows_read == 14


def test_dataminer_bom_crlf_fixture_really_has_bom_and_crlf() -> None:
    data = DM_BOM_CRLF.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.count(b"\r\n") == data.count(b"\n") == 15


def test_dataminer_load_area_level_matches_golden() -> None:
    result = parse_dataminer_hrl_load_metered(DM_LF, level="load_area")
    assert_canonical(result.frame)
    pd.testing.assert_frame_equal(
        result.frame,
        read_golden("hrl_load_metered_dpl_ae_2023-11-05_load_area.csv"),
        rtol=1e-9,
    )


def test_dataminer_dedupe_and_dst() -> None:
    result = parse_dataminer_hrl_load_metered(DM_LF)
    frame = result.frame.set_index([frames.ZONE, UTC])
    # DPLCO 05Z: the verified 1612.4 (line 6) beats the later unverified 1600.0 (line 14).
    assert frame.loc[("DPL", pd.Timestamp("2023-11-05 05:00Z")), frames.LOAD_MW] == pytest.approx(1612.4 + 20.9)
    # AECO 06Z: both unverified, so the last row in file order (795.3) wins.
    assert frame.loc[("AE", pd.Timestamp("2023-11-05 06:00Z")), frames.LOAD_MW] == 795.3
    # The repeated EPT 1:00 AM is EDT at 05Z and EST at 06Z.
    ae = result.frame[result.frame[frames.ZONE] == "AE"]
    assert ae[frames.IS_DST].tolist() == [True, True, False, False]
    assert ae[LOCAL].dt.hour.tolist() == [0, 1, 1, 2]
    dup_notes = [i for i in result.issues if "duplicate" in i]
    assert len(dup_notes) == 1
    assert dup_notes[0].startswith("2 duplicate row(s)")
    assert "line 14" in dup_notes[0] and "line 8" in dup_notes[0]


def test_dataminer_flags_hours_missing_a_load_area() -> None:
    text = "\n".join(
        [
            DM_HEADER,
            "1/15/2024 5:00:00 AM,1/15/2024 12:00:00 AM,RFC,MIDATL,DPL,DPLCO,1500,True",
            "1/15/2024 5:00:00 AM,1/15/2024 12:00:00 AM,RFC,MIDATL,DPL,EASTON,20,True",
            "1/15/2024 6:00:00 AM,1/15/2024 1:00:00 AM,RFC,MIDATL,DPL,DPLCO,1450,True",
        ]
    )
    result = parse_dataminer_hrl_load_metered(io.StringIO(text))
    assert result.frame[frames.LOAD_MW].tolist() == [1520.0, 1450.0]
    assert any("fewer load areas" in i for i in result.issues)


# --------------------------------------------------------------------------------------------
# detect_and_parse
# --------------------------------------------------------------------------------------------


def test_detect_and_parse_picks_the_parser() -> None:
    kaggle_result = detect_and_parse(KAGGLE_EXCERPT)
    assert isinstance(kaggle_result, Parsed)
    pd.testing.assert_frame_equal(kaggle_result.frame, parse_kaggle_hourly(KAGGLE_EXCERPT).frame)
    for path in (DM_LF, DM_BOM_CRLF):
        pd.testing.assert_frame_equal(detect_and_parse(path).frame, parse_dataminer_hrl_load_metered(path).frame)


def test_detect_and_parse_unknown_header_lists_known_ones(tmp_path: Path) -> None:
    path = tmp_path / "weird.csv"
    path.write_text("OperDay,HourEnding,COAST\n11/17/2023,01:00,1.0\n")
    with pytest.raises(ParseError) as info:
        detect_and_parse(path)
    message = str(info.value)
    assert "unknown header" in message
    assert "Datetime,<ZONE>_MW" in message
    assert DM_HEADER in message
    assert info.value.source == str(path)


def test_detect_and_parse_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_text("")
    with pytest.raises(ParseError, match="empty file"):
        detect_and_parse(path)


# --------------------------------------------------------------------------------------------
# Kaggle duplicates and fall-back decisions
# --------------------------------------------------------------------------------------------


def test_kaggle_unambiguous_duplicate_keeps_first_and_reports() -> None:
    result = parse_kaggle_hourly(
        kaggle(
            "2015-06-01 01:00:00,100.0",
            "2015-06-01 02:00:00,200.0",
            "2015-06-01 01:00:00,999.0",
        )
    )
    assert result.frame[frames.LOAD_MW].tolist() == [100.0, 200.0]
    assert result.rows_read == 3
    (note,) = [i for i in result.issues if "duplicate" in i]
    assert "1 duplicate row(s)" in note
    assert "line 4" in note and "line 2" in note
    assert "MW 999 vs kept 100" in note


def test_kaggle_third_ambiguous_label_is_dropped_and_reported() -> None:
    result = parse_kaggle_hourly(
        kaggle(
            "2015-11-01 02:00:00,10.0",
            "2015-11-01 02:00:00,20.0",
            "2015-11-01 02:00:00,30.0",
        )
    )
    frame = result.frame
    assert frame[UTC].tolist() == [
        pd.Timestamp("2015-11-01 05:00Z"),
        pd.Timestamp("2015-11-01 06:00Z"),
    ]
    assert frame[frames.LOAD_MW].tolist() == [10.0, 20.0]
    assert frame[frames.IS_DST].tolist() == [True, False]
    assert any("duplicate" in i and "line 4" in i for i in result.issues)


def test_kaggle_single_fall_back_label_is_edt_and_reported() -> None:
    result = parse_kaggle_hourly(kaggle("2012-11-04 02:00:00,50.0"))
    row = result.frame.iloc[0]
    assert row[UTC] == pd.Timestamp("2012-11-04 05:00Z")
    assert row[LOCAL] == pd.Timestamp("2012-11-04 01:00")
    assert bool(row[frames.IS_DST])
    assert any("appears once" in i and "2012-11-04" in i for i in result.issues)


def test_kaggle_zone_comes_from_header() -> None:
    result = parse_kaggle_hourly(kaggle("2015-06-01 01:00:00,1.0", header="Datetime,DAYTON_MW"))
    assert result.frame[frames.ZONE].tolist() == ["DAYTON"]


def test_kaggle_accepts_bom_crlf_and_blank_lines() -> None:
    data = "\ufeffDatetime,PJME_MW\r\n2015-06-01 02:00:00,2.0\r\n\r\n2015-06-01 01:00:00,1.0\r\n"
    for buffer in (io.StringIO(data), io.BytesIO(data.encode("utf-8"))):
        result = parse_kaggle_hourly(buffer)
        assert result.frame[frames.LOAD_MW].tolist() == [1.0, 2.0]
        assert result.rows_read == 2


# --------------------------------------------------------------------------------------------
# errors
# --------------------------------------------------------------------------------------------

KAGGLE_ERRORS = [
    ("", "empty file"),
    ("\n\n", "empty file"),
    ("Datetime,PJME_MW\n", "no data rows"),
    ("Datetime\n2015-06-01 01:00:00\n", "missing column"),
    ("Datetime,PJME_MW,extra\n2015-06-01 01:00:00,1.0,x\n", "extra column"),
    ("Datetime,PJME_MW\n2015-06-01 01:00:00,1.0\n2015-06-01 02:00:00,1.0,x\n", "line 3: 3 fields"),
    ("Timestamp,PJME_MW\n2015-06-01 01:00:00,1.0\n", "renamed column"),
    ("Datetime,PJME\n2015-06-01 01:00:00,1.0\n", "renamed column"),
    ("Datetime,PJME_MW\n2015-06-01 01:00:00,1.0\n2015-06-01 02:00:00,abc\n", "line 3: non-numeric"),
    ("Datetime,PJME_MW\n2015-06-01 01:00:00,-5.0\n", "line 2: negative PJME_MW"),
    ("Datetime,PJME_MW\n2015-06-01 01:00:00,NaN\n", "line 2: NaN PJME_MW"),
    ("Datetime,PJME_MW\n2015-06-01 01:00:00,\n", "line 2: missing PJME_MW"),
    ("Datetime,PJME_MW\n2015-06-01 01:00:00,inf\n", "line 2: non-finite PJME_MW"),
    ("Datetime,PJME_MW\n2015-06-01 1am,1.0\n", "line 2: unparseable Datetime timestamp"),
    ("Datetime,PJME_MW\n06/01/2015 01:00:00,1.0\n", "unparseable Datetime timestamp"),
    ("Datetime,PJME_MW\n2015-06-01 24:00:00,1.0\n", "unparseable Datetime timestamp"),
    ("Datetime,PJME_MW\n,1.0\n", "line 2: missing Datetime timestamp"),
    ("Datetime,PJME_MW\n2015-06-01 01:30:00,1.0\n", "not on the hour"),
    (
        "Datetime,PJME_MW\n2014-03-09 02:00:00,1.0\n2014-03-09 03:00:00,1.0\n",
        "line 3: label '2014-03-09 03:00:00' is the hour starting 2014-03-09 02:00:00 local, "
        "a wall time that does not exist",
    ),
    ('Datetime,PJME_MW\n"2015-06-01 01:00:00,1.0\n', "malformed CSV"),
]


@pytest.mark.parametrize(("text", "expected"), KAGGLE_ERRORS)
def test_kaggle_errors(text: str, expected: str) -> None:
    with pytest.raises(ParseError) as info:
        parse_kaggle_hourly(io.StringIO(text), source="pjme.csv")
    assert expected in str(info.value)
    assert str(info.value).startswith("pjme.csv: ")


def test_kaggle_error_counts_all_bad_values() -> None:
    with pytest.raises(ParseError, match=r"line 2: non-numeric .* 2 bad PJME_MW values in total"):
        parse_kaggle_hourly(kaggle("2015-06-01 01:00:00,x", "2015-06-01 02:00:00,-1"))


def test_kaggle_source_defaults_to_path(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("Datetime,PJME_MW\n2015-06-01 01:00:00,oops\n")
    with pytest.raises(ParseError) as info:
        parse_kaggle_hourly(path)
    assert info.value.source == str(path)
    assert "line 2" in info.value.detail


def dm_text(*rows: str, header: str = DM_HEADER) -> str:
    return "\n".join([header, *rows]) + "\n"


def dm(*rows: str, header: str = DM_HEADER) -> io.StringIO:
    return io.StringIO(dm_text(*rows, header=header))


GOOD_DM_ROW = "7/8/2023 4:00:00 AM,7/8/2023 12:00:00 AM,RFC,MIDATL,AE,AECO,900.5,True"

DATAMINER_ERRORS = [
    (
        dm_text(GOOD_DM_ROW.removesuffix(",True"), header=DM_HEADER.removesuffix(",is_verified")),
        "missing column(s) ['is_verified']",
    ),
    (dm_text(GOOD_DM_ROW + ",x", header=DM_HEADER + ",extra"), "extra column(s) ['extra']"),
    (dm_text(GOOD_DM_ROW, header=DM_HEADER.replace("mw", "load_mw")), "(renamed?)"),
    (dm_text(GOOD_DM_ROW, header=DM_HEADER.replace("nerc_region", "zone")), "repeated column(s)"),
    (dm_text(GOOD_DM_ROW.replace("True", "yes")), "line 2: is_verified must be True/False or 1/0"),
    (dm_text(GOOD_DM_ROW.replace("900.5", "-1")), "line 2: negative mw"),
    (dm_text(GOOD_DM_ROW.replace("900.5", "n/a")), "line 2: NaN mw"),
    (dm_text(GOOD_DM_ROW.replace("900.5", "lots")), "line 2: non-numeric mw"),
    (dm_text(GOOD_DM_ROW.replace(",AECO,", ",,")), "line 2: missing load_area"),
    (
        dm_text(GOOD_DM_ROW.replace("7/8/2023 4:00:00 AM", "2023-07-08T04:00:00")),
        "line 2: unparseable datetime_beginning_utc timestamp",
    ),
    (
        dm_text(GOOD_DM_ROW.replace("12:00:00 AM", "1:00:00 AM")),
        "line 2: datetime_beginning_ept '7/8/2023 1:00:00 AM' is not the America/New_York time",
    ),
    ("", "empty file"),
    (DM_HEADER + "\n", "no data rows"),
]


@pytest.mark.parametrize(("text", "expected"), DATAMINER_ERRORS)
def test_dataminer_errors(text: str, expected: str) -> None:
    with pytest.raises(ParseError) as info:
        parse_dataminer_hrl_load_metered(io.StringIO(text), source="hrl.csv")
    assert expected in str(info.value)


def test_dataminer_load_area_in_two_zones_is_an_error() -> None:
    other_zone = GOOD_DM_ROW.replace(",AE,", ",DPL,")
    with pytest.raises(ParseError, match="load_area 'AECO' appears under zones AE, DPL"):
        parse_dataminer_hrl_load_metered(dm(GOOD_DM_ROW, other_zone), level="load_area")
    # At zone level the two rows are different keys and both count.
    assert len(parse_dataminer_hrl_load_metered(dm(GOOD_DM_ROW, other_zone)).frame) == 2


def test_dataminer_rejects_unknown_level() -> None:
    with pytest.raises(ValueError, match="level"):
        parse_dataminer_hrl_load_metered(dm(GOOD_DM_ROW), level="region")  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# properties
# --------------------------------------------------------------------------------------------


@functools.cache
def _transitions(year: int) -> tuple[pd.Timestamp, ...]:
    """UTC instants in `year` at which America/New_York changes its offset."""
    hours = pd.date_range(f"{year}-01-01", f"{year + 1}-01-01", freq="h", tz="UTC")
    offsets = hours.tz_convert(NY).tz_localize(None) - hours.tz_localize(None)
    changed = np.flatnonzero(offsets[1:] != offsets[:-1]) + 1
    return tuple(hours[changed])


@st.composite
def utc_hour_ranges(draw: st.DrawFn) -> pd.DatetimeIndex:
    year = draw(st.integers(2000, 2030))
    anchor_kind = draw(st.sampled_from(["spring", "fall", "anywhere"]))
    if anchor_kind == "anywhere":
        anchor = pd.Timestamp(f"{year}-01-01", tz="UTC") + pd.Timedelta(hours=draw(st.integers(0, 8759)))
    else:
        spring, fall = _transitions(year)
        anchor = spring if anchor_kind == "spring" else fall
    start = anchor - pd.Timedelta(hours=draw(st.integers(0, 60)))
    return pd.date_range(start, periods=draw(st.integers(1, 96)), freq="h")


def kaggle_file_order(utc: pd.DatetimeIndex) -> np.ndarray:
    """Row order of the Kaggle file: years ascending, days backwards, hours ascending."""
    start_local = utc.tz_convert(NY).tz_localize(None)
    day = start_local.normalize()
    return np.lexsort((utc.asi8, -day.asi8, start_local.year.to_numpy()))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(utc=utc_hour_ranges(), data=st.data())
def test_kaggle_round_trip(utc: pd.DatetimeIndex, data: st.DataObject) -> None:
    mw = np.array(data.draw(st.lists(st.integers(0, 70_000), min_size=len(utc), max_size=len(utc))))
    start_local = utc.tz_convert(NY).tz_localize(None)

    # The generator controls the single-label fall-back case: optionally drop one of the two
    # repeats (a range may also cut the pair by itself). A lone repeat must come back as EDT.
    keep = np.ones(len(utc), dtype=bool)
    repeated = np.flatnonzero(pd.Series(start_local).duplicated(keep=False).to_numpy())
    if repeated.size and data.draw(st.booleans(), label="single fall-back label"):
        keep[data.draw(st.sampled_from(repeated.tolist()), label="dropped repeat")] = False
    utc, mw, start_local = utc[keep], mw[keep], start_local[keep]
    as_edt = start_local.tz_localize(NY, ambiguous=np.ones(len(utc), dtype=bool))
    as_est = start_local.tz_localize(NY, ambiguous=np.zeros(len(utc), dtype=bool))
    lone = (as_edt != as_est) & ~pd.Series(start_local).duplicated(keep=False).to_numpy()
    expected_utc = pd.DatetimeIndex(np.where(lone, as_edt.tz_convert("UTC"), utc))

    labels = (start_local + pd.Timedelta(hours=1)).strftime("%Y-%m-%d %H:%M:%S")
    lines = [f"{labels[i]},{mw[i]}.0" for i in kaggle_file_order(utc)]
    result = parse_kaggle_hourly(kaggle(*lines))

    assert_canonical(result.frame)
    order = np.argsort(expected_utc.asi8)
    assert result.frame[UTC].tolist() == list(expected_utc[order])
    assert result.frame[frames.LOAD_MW].tolist() == mw[order].astype(float).tolist()
    assert result.frame[LOCAL].tolist() == list(start_local[order])
    assert result.frame[frames.IS_DST].tolist() == [bool(t.tz_convert(NY).dst()) for t in expected_utc[order]]
    assert not any("duplicate" in i for i in result.issues)
    assert any("appears once" in i for i in result.issues) == bool(lone.any())


def _is_valid_mw(text: str) -> bool:
    try:
        value = float(text.strip())
    except ValueError:
        return False
    return math.isfinite(value) and value >= 0


CSV_SPECIALS = set(',"\r\n')


@settings(max_examples=400, deadline=None)
@given(garbage=st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12))
def test_kaggle_garbage_mw_is_a_parse_error(garbage: str) -> None:
    text = f"Datetime,PJME_MW\n2015-06-01 01:00:00,1.0\n2015-06-01 02:00:00,{garbage}\n"
    for buffer in (io.StringIO(text), io.BytesIO(text.encode("utf-8"))):
        try:
            result = parse_kaggle_hourly(buffer)
        except ParseError:
            continue
        # Text that keeps the CSV structure intact may only get through as a usable number.
        if not set(garbage) & CSV_SPECIALS:
            assert _is_valid_mw(garbage), garbage
            assert len(result.frame) == 2


@settings(max_examples=200, deadline=None)
@given(
    garbage=st.text(
        alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters=',"\r\n'),
        min_size=1,
        max_size=12,
    ).filter(lambda s: s.strip() != "" and not _is_valid_mw(s))
)
def test_dataminer_garbage_mw_is_a_parse_error(garbage: str) -> None:
    with pytest.raises(ParseError, match=r"line 2: .*mw"):
        parse_dataminer_hrl_load_metered(dm(GOOD_DM_ROW.replace("900.5", garbage)))


def _dataminer_stamp(ts: pd.Timestamp) -> str:
    hour12 = ts.hour % 12 or 12
    return f"{ts.month}/{ts.day}/{ts.year} {hour12}:00:00 {'AM' if ts.hour < 12 else 'PM'}"


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(utc=utc_hour_ranges(), data=st.data())
def test_dataminer_round_trip(utc: pd.DatetimeIndex, data: st.DataObject) -> None:
    mw = data.draw(st.lists(st.integers(0, 5000), min_size=2 * len(utc), max_size=2 * len(utc)))
    ept = utc.tz_convert(NY).tz_localize(None)
    rows = []
    for i, (u, e) in enumerate(zip(utc, ept, strict=True)):
        for j, area in enumerate(("DPLCO", "EASTON")):
            rows.append(f"{_dataminer_stamp(u)},{_dataminer_stamp(e)},RFC,MIDATL,DPL,{area},{mw[2 * i + j]},true")
    rows = data.draw(st.permutations(rows))
    result = parse_dataminer_hrl_load_metered(dm(*rows))
    assert_canonical(result.frame)
    assert result.frame[UTC].tolist() == list(utc)
    assert result.frame[LOCAL].tolist() == list(ept)
    assert result.frame[frames.LOAD_MW].tolist() == [float(mw[2 * i] + mw[2 * i + 1]) for i in range(len(utc))]
    assert result.frame[frames.IS_DST].tolist() == [bool(t.tz_convert(NY).dst()) for t in utc]
