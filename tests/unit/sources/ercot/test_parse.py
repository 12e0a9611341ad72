"""ERCOT report parsers: golden files on real and documented-format CSVs, and every bad input."""

from __future__ import annotations

import pandas as pd
import pytest

from gridflow.errors import ParseError
from gridflow.sources.ercot import parse
from tests.unit.sources.ercot.golden_io import FIXTURES, as_text, read_golden

REAL_LOAD = FIXTURES / "ercot_np6-345-cd_actual_system_load_by_weather_zone_cdr.00013101.20231118.csv"
SPP = FIXTURES / "dam_spp_12331_20250805_synthetic.csv"
SPP_FALL_BACK = FIXTURES / "dam_spp_12331_20251102_fallback_synthetic.csv"
SOLD = FIXTURES / "dam_energy_sold_12334_20250805_synthetic.csv"


@pytest.mark.parametrize(("parser", "fixture", "golden"), [
    (parse.parse_actual_load_wz, REAL_LOAD, "actual_load_wz_20231117.csv"),
    (parse.parse_dam_spp, SPP, "dam_spp_20250805.csv"),
    (parse.parse_dam_spp, SPP_FALL_BACK, "dam_spp_20251102_fallback.csv"),
    (parse.parse_dam_energy_sold, SOLD, "dam_energy_sold_20250805.csv"),
])
def test_golden(parser, fixture, golden):
    result = parser(fixture.read_bytes(), fixture.name)
    pd.testing.assert_frame_equal(as_text(result.frame), read_golden(golden))
    assert result.issues == []


def test_real_load_file_hand_checked():
    result = parse.parse_actual_load_wz(REAL_LOAD.read_bytes(), "real")
    frame = result.frame
    assert result.rows_read == 24 and len(frame) == 24 * 9
    assert sorted(frame.zone.unique()) == sorted(f"ERCOT_{z}" for z in parse.WEATHER_ZONES)
    coast = frame[frame.zone == "ERCOT_COAST"].iloc[0]
    # 11/17/2023 HE 01:00 is 00:00 CST = 06:00 UTC; value from line 2 of the real file.
    assert str(coast.interval_start_utc) == "2023-11-17 06:00:00+00:00"
    assert coast.load_mw == 10135.49 and not coast.is_dst
    total = frame[frame.zone == "ERCOT_TOTAL"].iloc[-1]
    assert str(total.interval_start_utc) == "2023-11-18 05:00:00+00:00" and total.load_mw == 40783.49
    assert list(frame.columns) == ["zone", "interval_start_utc", "interval_start_local", "is_dst", "load_mw"]


def test_dam_spp_documented_row_and_fall_back():
    frame = parse.parse_dam_spp(SPP.read_bytes(), "spp").frame
    first = frame.iloc[0]
    assert (first.node, first.price_usd_per_mwh, str(first.interval_start_utc)) == (
        "7RNCHSLR_ALL", 23.94, "2025-08-05 05:00:00+00:00")  # CDT: local midnight is 05:00 UTC
    fall = parse.parse_dam_spp(SPP_FALL_BACK.read_bytes(), "spp").frame
    assert len(fall) == 3 * 25
    repeated = fall[(fall.node == "AEEC") & (fall.interval_start_local == pd.Timestamp("2025-11-02 01:00"))]
    assert [str(t) for t in repeated.interval_start_utc] == ["2025-11-02 06:00:00+00:00", "2025-11-02 07:00:00+00:00"]
    assert list(repeated.is_dst) == [True, False]


def test_energy_sold_total_is_the_sum_and_filter_keeps_it():
    result = parse.parse_dam_energy_sold(SOLD.read_bytes(), "sold", only=["AEEC", "NOPE"])
    frame = result.frame
    assert set(frame.series) == {"dam_total_energy_sold", "dam_total_energy_sold:AEEC"}
    assert frame[frame.series == "dam_total_energy_sold"].value.iloc[0] == 100 + 200 + 300
    assert set(frame.unit) == {"MWh"} and set(frame.market) == {"ERCOT_DAM"}
    assert "NOPE" in result.issues[0]


def test_filters():
    spp = parse.parse_dam_spp(SPP.read_bytes(), "spp", only=["AEEC"]).frame
    assert set(spp.node) == {"AEEC"} and len(spp) == 24
    load = parse.parse_actual_load_wz(REAL_LOAD.read_bytes(), "l", only=["coast", "ERCOT_TOTAL"]).frame
    assert set(load.zone) == {"ERCOT_COAST", "ERCOT_TOTAL"}


def test_bom_crlf_and_padded_header_parse_like_the_original():
    original = REAL_LOAD.read_bytes()
    text = original.decode().replace("DSTFlag", "DSTFlag    ")
    mangled = b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode()
    a = parse.parse_actual_load_wz(original, "a").frame
    b = parse.parse_actual_load_wz(mangled, "b").frame
    pd.testing.assert_frame_equal(a, b)


def test_exact_duplicate_rows_are_dropped_and_reported():
    lines = SPP.read_text().splitlines()
    data = ("\n".join([*lines, lines[5], lines[5]]) + "\n").encode()
    result = parse.parse_dam_spp(data, "dups")
    assert len(result.frame) == 72 and result.rows_read == 74
    assert result.issues == ["dropped 2 exact duplicate row(s), e.g. line(s) 74, 75"]


BAD = {
    "wrong header": (parse.parse_dam_spp, b"Date,Hour,Point,Price\n08/05/2025,01:00,A,1\n",
                     "wrong CSV header 'Date,Hour,Point,Price'"),
    "load file given to the price parser": (parse.parse_dam_spp, REAL_LOAD.read_bytes(), "no column for point, price"),
    "conflicting duplicate": (parse.parse_dam_spp,
                              b"DeliveryDate,HourEnding,SettlementPoint,SettlementPointPrice,DSTFlag\n"
                              b"08/05/2025,01:00,A,1.0,N\n08/05/2025,01:00,A,2.0,N\n",
                              "duplicate rows with different values"),
    "DST repeated hour without flag": (parse.parse_dam_spp,
                                       b"DeliveryDate,HourEnding,SettlementPoint,SettlementPointPrice\n"
                                       b"11/02/2025,02:00,A,1.0\n11/02/2025,02:00,A,2.0\n",
                                       "DST repeated hour without flag"),
    "non-numeric price": (parse.parse_dam_spp,
                          b"DeliveryDate,HourEnding,SettlementPoint,SettlementPointPrice,DSTFlag\n"
                          b"08/05/2025,01:00,A,n/a,N\n", "line 2: 'n/a'"),
    "ragged row": (parse.parse_dam_spp,
                   b"DeliveryDate,HourEnding,SettlementPoint,SettlementPointPrice,DSTFlag\n08/05/2025,01:00,A\n",
                   "line 2: 3 fields, the header has 5"),
    "header only": (parse.parse_actual_load_wz, b"OperDay,HourEnding\n", "no data rows"),
    "empty": (parse.parse_actual_load_wz, b"", "empty CSV"),
    "not utf-8": (parse.parse_dam_spp, b"\xff\xfeD\x00", "not UTF-8"),
}


@pytest.mark.parametrize("case", BAD)
def test_bad_inputs_raise_clear_parse_errors(case):
    parser, data, message = BAD[case]
    with pytest.raises(ParseError) as info:
        parser(data, "doc.csv")
    assert message in str(info.value)
    assert str(info.value).startswith("doc.csv: ")
