"""Data Miner 2 API items -> load frame / market_price rows: timestamps, DST, dedupe, sums."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from gridflow import frames
from gridflow.errors import ParseError
from gridflow.sources import pjm_load_csv
from gridflow.sources.pjm_api import (
    API_LOAD_COLUMNS,
    IS_VERIFIED,
    PRICE_COLUMNS,
    parse_da_hrl_lmps,
    parse_hrl_load_metered,
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
LOAD_JSON = FIXTURES / "pjm_api" / "hrl_load_metered_dpl_ae_2023-11-05.json"
LMP_JSON = FIXTURES / "pjm_api" / "da_hrl_lmps_2023-11-05.json"


def items(path: Path) -> list[dict]:
    return json.loads(path.read_text())["items"]


def item(utc: str, ept: str, zone="AE", area="AECO", mw=800.0, verified=True) -> dict:
    return {"datetime_beginning_utc": utc, "datetime_beginning_ept": ept, "nerc_region": "RFC",
            "mkt_region": "MIDATL", "zone": zone, "load_area": area, "mw": mw, "is_verified": verified}


def test_api_items_give_the_same_zone_frame_as_the_csv_export():
    # The JSON fixture holds the CSV fixture's rows: both parsers must agree exactly.
    result = parse_hrl_load_metered(items(LOAD_JSON))
    from_csv = pjm_load_csv.parse_dataminer_hrl_load_metered(FIXTURES / "pjm" / "hrl_load_metered_dpl_ae_2023-11-05.csv")
    assert list(result.frame.columns) == API_LOAD_COLUMNS
    pd.testing.assert_frame_equal(result.frame[frames.LOAD_COLUMNS], from_csv.frame)
    assert result.rows_read == 14
    assert any("2 duplicate row(s)" in issue for issue in result.issues)


def test_dst_fall_back_gives_two_utc_hours_with_the_same_ept():
    frame = parse_hrl_load_metered(items(LOAD_JSON)).frame
    ae = frame[frame[frames.ZONE] == "AE"]
    repeated = ae[ae[frames.INTERVAL_START_LOCAL] == pd.Timestamp("2023-11-05 01:00")]
    assert list(repeated[frames.INTERVAL_START_UTC]) == [pd.Timestamp("2023-11-05 05:00", tz="UTC"),
                                                        pd.Timestamp("2023-11-05 06:00", tz="UTC")]
    assert list(repeated[frames.IS_DST]) == [True, False]


def test_load_areas_are_summed_and_verified_only_when_every_area_is():
    frame = parse_hrl_load_metered(items(LOAD_JSON)).frame.set_index([frames.ZONE, frames.INTERVAL_START_UTC])
    # DPL 05:00Z: DPLCO verified 1612.4 beats the later unverified 1600.0, plus EASTON 20.9.
    dpl_05 = frame.loc[("DPL", pd.Timestamp("2023-11-05 05:00", tz="UTC"))]
    assert dpl_05[frames.LOAD_MW] == pytest.approx(1633.3)
    assert bool(dpl_05[IS_VERIFIED]) is True
    # DPL 07:00Z: DPLCO unverified (0), EASTON verified (1): the zone-hour is not verified.
    dpl_07 = frame.loc[("DPL", pd.Timestamp("2023-11-05 07:00", tz="UTC"))]
    assert dpl_07[frames.LOAD_MW] == pytest.approx(1574.8)
    assert bool(dpl_07[IS_VERIFIED]) is False
    # AE 06:00Z: two unverified rows, the later one wins.
    assert frame.loc[("AE", pd.Timestamp("2023-11-05 06:00", tz="UTC")), frames.LOAD_MW] == pytest.approx(795.3)


@pytest.mark.parametrize("utc, ept", [
    ("2024-07-01T04:00:00", "2024-07-01T00:00:00"),
    ("2024-07-01T04:00:00.000", "2024-07-01T00:00:00.000"),
    ("2024-07-01T04:00:00.000", "2024-07-01T00:00:00"),  # one with, one without milliseconds
])
def test_iso_timestamps_with_and_without_milliseconds(utc, ept):
    frame = parse_hrl_load_metered([item(utc, ept)]).frame
    assert frame[frames.INTERVAL_START_UTC].iloc[0] == pd.Timestamp("2024-07-01 04:00", tz="UTC")
    assert frame[frames.INTERVAL_START_LOCAL].iloc[0] == pd.Timestamp("2024-07-01 00:00")
    assert frame[frames.INTERVAL_START_UTC].dtype == "datetime64[ns, UTC]"


def test_verified_beats_unverified_whatever_the_order():
    hour = ("2024-07-01T04:00:00", "2024-07-01T00:00:00")
    for rows in ([item(*hour, mw=900.0, verified=True), item(*hour, mw=1.0, verified=False)],
                 [item(*hour, mw=1.0, verified=False), item(*hour, mw=900.0, verified=True)]):
        frame = parse_hrl_load_metered(rows).frame
        assert frame[frames.LOAD_MW].tolist() == [900.0]
        assert frame[IS_VERIFIED].tolist() == [True]


@pytest.mark.parametrize("bad, message", [
    ({"datetime_beginning_utc": "2024-07-01 4am"}, "unparseable datetime_beginning_utc"),
    ({"datetime_beginning_utc": "2024-07-01T04:00:00Z"}, "carries a UTC offset"),
    ({"datetime_beginning_utc": "2024-07-01T04:30:00", "datetime_beginning_ept": "2024-07-01T00:30:00"}, "not on the hour"),
    ({"datetime_beginning_ept": "2024-07-01T01:00:00"}, "is not the America/New_York time"),
    ({"mw": None}, "bad mw value None"),
    ({"mw": -5.0}, "bad mw value -5.0"),
    ({"mw": "abc"}, "bad mw value 'abc'"),
    ({"is_verified": "maybe"}, "is_verified must be true/false"),
    ({"zone": ""}, "missing zone value"),
])
def test_bad_items_raise_a_parse_error_naming_the_item(bad, message):
    good = item("2024-07-01T03:00:00", "2024-06-30T23:00:00")
    with pytest.raises(ParseError, match=message) as info:
        parse_hrl_load_metered([good, {**item("2024-07-01T04:00:00", "2024-07-01T00:00:00"), **bad}])
    assert "item 2" in str(info.value)


def test_missing_field_is_named():
    broken = item("2024-07-01T04:00:00", "2024-07-01T00:00:00")
    del broken["load_area"]
    with pytest.raises(ParseError, match=r"item 1: missing field\(s\) \['load_area'\]"):
        parse_hrl_load_metered([broken])


def test_no_items_give_an_empty_frame_with_the_columns():
    result = parse_hrl_load_metered([])
    assert list(result.frame.columns) == API_LOAD_COLUMNS and result.frame.empty


def test_da_lmps_become_market_price_rows():
    result = parse_da_hrl_lmps(items(LMP_JSON))
    frame = result.frame
    assert list(frame.columns) == PRICE_COLUMNS
    assert len(frame) == 6 and result.rows_read == 7
    assert set(frame["market"]) == {"PJM_DA"} and set(frame["node"]) == {"1", "51291"}
    aeco = frame[frame["node"] == "51291"]
    # The superseded version (99.99, row_is_current false) is dropped; negative prices are kept.
    assert aeco["price_usd_per_mwh"].tolist() == [25.12, 23.90, -1.25]
    assert aeco["is_dst"].tolist() == [True, False, False]
    assert aeco["interval_start_local"].tolist() == [pd.Timestamp("2023-11-05 01:00")] * 2 + [pd.Timestamp("2023-11-05 02:00")]
    assert (frame["interval_minutes"] == 60).all()
    assert any("row_is_current false" in issue for issue in result.issues)


def test_da_lmps_repeat_keeps_the_highest_version():
    base = items(LMP_JSON)[0]
    rows = [{**base, "version_nbr": 2, "total_lmp_da": 30.0}, {**base, "version_nbr": 1, "total_lmp_da": 10.0}]
    result = parse_da_hrl_lmps(rows)
    assert result.frame["price_usd_per_mwh"].tolist() == [30.0]
    # Without the versioning fields every row counts as current.
    bare = {k: v for k, v in base.items() if k not in ("row_is_current", "version_nbr")}
    assert len(parse_da_hrl_lmps([bare]).frame) == 1
