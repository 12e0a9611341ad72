"""Meter parsers on the real samples (goldens) and on malformed inputs (each message asserted)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from gridflow.errors import ParseError
from gridflow.sources.meters import detect_format, parse_meter_bytes, parse_meter_file

FIX = Path(__file__).resolve().parents[3] / "fixtures" / "meters"
SMT_EXCERPT = FIX / "smt_interval_15min_IntervalData_dst_days_excerpt_esiid_masked.csv"
SMT_FULL = FIX / "smt_IntervalData_2022-03-01_to_2023-01-14_esiid_masked.csv"
PGE = FIX / "greenbutton_csv_pge_electric_interval_data_hourly_2018-10-04_to_2019-02-11_preamble_redacted.csv"
SCE = FIX / "greenbutton_csv_sce_net_metering_SCE-NEMFILE.sample.csv"
HEADER = ("ESIID,USAGE_DATE,REVISION_DATE,USAGE_START_TIME,USAGE_END_TIME,USAGE_KWH,ESTIMATED_ACTUAL,"
          "CONSUMPTION_SURPLUSGENERATION\n")
ROW = "'10443720000000000,03/01/2022,03/02/2022 06:18:33,{start},{end},{kwh},{flag},{chan}\n"


def smt_rows(*rows: tuple) -> bytes:
    """SMT bytes from (start, end, kwh, flag, channel) tuples."""
    return (HEADER + "".join(ROW.format(start=s, end=e, kwh=k, flag=f, chan=c) for s, e, k, f, c in rows)).encode()


GOOD = [("00:00", "00:15", ".145", "A", "Consumption"), ("00:15", "00:30", ".2", "E", "Consumption"),
        ("00:00", "00:15", ".05", "A", "Surplus Generation")]


def test_smt_excerpt_matches_hand_checked_golden():
    parsed = parse_meter_file(SMT_EXCERPT)
    golden = pd.read_csv(FIX / "golden_smt_dst_days_excerpt.csv", dtype={"meter_id": str})
    got = parsed.frame.astype({"meter_id": str, "channel": str}).reset_index(drop=True)
    assert parsed.format == "smt_interval" and parsed.rows_read == 34
    assert got["interval_start_utc"].astype(str).tolist() == golden["interval_start_utc"].tolist()
    assert got["interval_start_local"].astype(str).tolist() == golden["interval_start_local"].tolist()
    assert got["is_dst"].tolist() == golden["is_dst"].tolist()
    assert got["kwh"].tolist() == golden["kwh"].tolist()
    assert set(got["meter_id"]) == {"10443720000000000"}  # apostrophe gone, leading digits kept


def test_smt_full_real_file_dst_handling():
    parsed = parse_meter_file(SMT_FULL)
    frame = parsed.frame
    assert parsed.rows_read == 30_724
    assert len(frame) == 30_720  # the 4 blank spring-forward rows are not readings
    assert frame["interval_start_utc"].is_unique
    day = frame["interval_start_local"].dt.date.astype(str)
    assert (day == "2022-03-13").sum() == 92 and (day == "2022-11-06").sum() == 100
    assert frame.loc[day == "2022-11-06", "interval_start_utc"].diff().dropna().eq(pd.Timedelta(minutes=15)).all()
    text = " | ".join(parsed.issues)
    assert "lines 24010" in text and "02:00-01:15" in text  # the mislabelled repeated interval
    assert "4 blank interval(s) inside the spring-forward gap dropped" in text
    assert "missing" not in text  # a complete export has no gaps
    assert frame["kwh"].sum() == pytest.approx(pd.read_csv(SMT_FULL)["USAGE_KWH"].sum())


def test_smt_flags_and_channels():
    frame = parse_meter_bytes(smt_rows(*GOOD), "x.csv").frame
    assert frame["channel"].astype(str).tolist() == ["consumption", "consumption", "generation"]
    assert frame["is_estimated"].tolist() == [False, True, False]


def test_pge_golden():
    parsed = parse_meter_file(PGE)
    f = parsed.frame
    assert parsed.format == "greenbutton_pge" and len(f) == 3145
    assert f["meter_id"].iloc[0] == "pge:0000000000" and (f["interval_minutes"] == 60).all()
    first = f.iloc[0]
    assert str(first["interval_start_utc"]) == "2018-10-04 07:00:00+00:00" and first["kwh"] == 0.24
    fall = f[f["interval_start_local"] == pd.Timestamp("2018-11-04 01:00")]
    assert fall["interval_start_utc"].astype(str).tolist() == ["2018-11-04 08:00:00+00:00", "2018-11-04 09:00:00+00:00"]
    assert fall["is_dst"].tolist() == [True, False] and fall["kwh"].tolist() == [0.09, 0.03]
    assert f["kwh"].sum() == pytest.approx(3103.11)


def test_sce_golden():
    parsed = parse_meter_file(SCE)
    f = parsed.frame
    assert parsed.format == "greenbutton_sce" and len(f) == 3264
    sums = f.groupby(f["channel"].astype(str))["kwh"].sum()
    assert sums["consumption"] == pytest.approx(733.27) and sums["generation"] == pytest.approx(303.49)
    first = f.iloc[0]
    assert str(first["interval_start_utc"]) == "2022-08-01 07:00:00+00:00" and first["kwh"] == 0.38
    assert f["meter_id"].iloc[0] == "sce:XXXXXXXXXX" and (f["interval_minutes"] == 15).all()


def test_bom_and_crlf_load():
    data = b"\xef\xbb\xbf" + smt_rows(*GOOD).replace(b"\n", b"\r\n")
    assert len(parse_meter_bytes(data, "bom.csv").frame) == 3


@pytest.mark.parametrize(("data", "message"), [
    (HEADER.replace("USAGE_KWH", "KWH").encode() + b"x\n", "line 1: header"),
    (b"foo,bar,baz\n1,2,3\n", "unknown meter file format"),
    (smt_rows(GOOD[0], ("00:15", "00:30", "abc", "A", "Consumption")), "line 3: USAGE_KWH 'abc' is not a number"),
    (smt_rows(GOOD[0], ("00:15", "00:30", "-.2", "A", "Consumption")), "line 3: negative USAGE_KWH"),
    (smt_rows(*GOOD)[:-25], "line 4: truncated last line"),
    (smt_rows(*GOOD)[:-5], "the file looks truncated"),
    (smt_rows(GOOD[0], ("00:00", "00:15", ".3", "A", "Consumption")), "line 2, 3: the same interval appears more than once"),
    (smt_rows(("00:00", "00:15", ".1", "X", "Consumption")), "ESTIMATED_ACTUAL 'X'"),
    (smt_rows(("00:00", "00:15", ".1", "A", "Export")), "CONSUMPTION_SURPLUSGENERATION 'Export'"),
    (smt_rows(("00:00", "00:45", ".1", "A", "Consumption")), "not 15 minutes apart"),
])
def test_malformed_inputs(data, message):
    with pytest.raises(ParseError) as err:
        parse_meter_bytes(data, "bad.csv")
    assert message in str(err.value)


def test_identical_duplicate_rows_are_dropped_and_reported():
    parsed = parse_meter_bytes(smt_rows(GOOD[0], GOOD[0], GOOD[1]), "dup.csv")
    assert len(parsed.frame) == 2
    assert any("1 duplicate interval row(s) dropped (lines 2)" in i for i in parsed.issues)


def test_unknown_format_lists_known_formats():
    with pytest.raises(ParseError) as err:
        detect_format(b"date;value\n", "x.csv")
    assert "Smart Meter Texas" in str(err.value) and "timestamp,kWh" in str(err.value)
