"""Data Miner 2 ``da_hrl_lmps`` CSV export -> API items -> market_price rows (both 2025 DST days).

tests/fixtures/pjm/da_hrl_lmps_PJM-RTO_2025_dst_days.csv holds the header and the 48 rows of
2025-03-09 and 2025-11-02 (EPT) of data/prices/pjm_da/da_hrl_lmps_PJM-RTO_2025.csv, verbatim. Its
golden (tests/fixtures/pjm/golden/) was generated once by the parser and checked row by row with
zoneinfo, independently of it: local = UTC in America/New_York and equal to the file's EPT text,
is_dst = that zone's DST, price = total_lmp_da.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gridflow.errors import ParseError
from gridflow.sources.pjm_api import PRICE_COLUMNS, parse_da_hrl_lmps
from gridflow.sources.pjm_dataminer_csv import DA_HRL_LMPS_COLUMNS, da_hrl_lmps_items, parse_da_hrl_lmps_csv

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "pjm"
DST_DAYS = FIXTURES / "da_hrl_lmps_PJM-RTO_2025_dst_days.csv"
GOLDEN = FIXTURES / "golden" / "da_hrl_lmps_PJM-RTO_2025_dst_days.csv"
HEADER = ",".join(DA_HRL_LMPS_COLUMNS)


def read_golden() -> pd.DataFrame:
    raw = pd.read_csv(GOLDEN, dtype=str, keep_default_na=False)
    return pd.DataFrame({
        "market": raw["market"].astype("string"),
        "node": raw["node"].astype("string"),
        "interval_start_utc": pd.to_datetime(raw["interval_start_utc"], format="%Y-%m-%d %H:%M:%S%z")
        .dt.tz_convert("UTC").dt.as_unit("ns"),
        "interval_minutes": raw["interval_minutes"].astype("int64"),
        "interval_start_local": pd.to_datetime(raw["interval_start_local"], format="%Y-%m-%d %H:%M:%S")
        .dt.as_unit("ns"),
        "is_dst": raw["is_dst"].map({"True": True, "False": False}).astype(bool),
        "price_usd_per_mwh": raw["price_usd_per_mwh"].astype("float64"),
    })


def test_dst_days_match_golden():
    result = parse_da_hrl_lmps_csv(DST_DAYS)
    assert list(result.frame.columns) == PRICE_COLUMNS
    assert (result.rows_read, result.issues) == (48, [])
    pd.testing.assert_frame_equal(result.frame, read_golden(), rtol=1e-12)


def test_spring_forward_day_has_23_local_hours_without_2am():
    frame = parse_da_hrl_lmps_csv(DST_DAYS).frame
    day = frame[frame["interval_start_local"].dt.date == pd.Timestamp("2025-03-09").date()]
    assert len(day) == 23
    assert list(day["interval_start_local"].dt.hour) == [0, 1, *range(3, 24)]
    assert day["interval_start_utc"].diff().dropna().eq(pd.Timedelta(hours=1)).all()
    assert list(day["is_dst"]) == [False, False] + [True] * 21


def test_fall_back_day_has_25_local_hours_and_the_repeated_hour_differs_by_utc():
    frame = parse_da_hrl_lmps_csv(DST_DAYS).frame
    day = frame[frame["interval_start_local"].dt.date == pd.Timestamp("2025-11-02").date()]
    assert len(day) == 25
    repeated = day[day["interval_start_local"] == pd.Timestamp("2025-11-02 01:00")]
    assert list(repeated["interval_start_utc"]) == [pd.Timestamp("2025-11-02 05:00", tz="UTC"),
                                                    pd.Timestamp("2025-11-02 06:00", tz="UTC")]
    assert list(repeated["is_dst"]) == [True, False]
    assert list(repeated["price_usd_per_mwh"]) == [43.002483, 39.234239]


def test_rows_become_the_api_items_json_shape():
    items = da_hrl_lmps_items(DST_DAYS)
    # The documented API item: ISO times without offset, numbers, null for blanks, a JSON bool.
    assert items[0] == {
        "datetime_beginning_utc": "2025-03-09T05:00:00", "datetime_beginning_ept": "2025-03-09T00:00:00",
        "pnode_id": 1, "pnode_name": "PJM-RTO", "voltage": None, "equipment": None, "type": "ZONE",
        "zone": None, "system_energy_price_da": 38.88, "total_lmp_da": 39.997912,
        "congestion_price_da": 0.417442, "marginal_loss_price_da": 0.70047, "row_is_current": True,
        "version_nbr": 1,
    }
    assert json.loads(json.dumps(items)) == items
    # The API parser sees no difference between these items and the file.
    pd.testing.assert_frame_equal(parse_da_hrl_lmps(items).frame, parse_da_hrl_lmps_csv(DST_DAYS).frame)


@pytest.mark.parametrize(("text", "message"), [
    ("datetime_beginning_utc,pnode_id\n1/1/2025 5:00:00 AM,1\n", "line 1: header"),
    (f"{HEADER}\n", "no data rows"),
    (f"{HEADER}\n1/1/2025 5:00:00 AM,1/1/2025 12:00:00 AM,1,PJM-RTO,,,ZONE,,21.26,n/a,0,0,True,1\n",
     "line 2: bad total_lmp_da value 'n/a'"),
    (f"{HEADER}\n2025-01-01 05:00,1/1/2025 12:00:00 AM,1,PJM-RTO,,,ZONE,,21.26,21.0,0,0,True,1\n",
     "line 2: bad datetime_beginning_utc"),
    (f"{HEADER}\n1/1/2025 5:00:00 AM,1/1/2025 12:00:00 AM,1,PJM-RTO,,,ZONE,,21.26,21.0,0,0,maybe,1\n",
     "line 2: bad row_is_current"),
    (f"{HEADER}\n1/1/2025 5:00:00 AM,1/1/2025 12:00:00 AM,1,PJM-RTO\n", "line 2: 4 fields"),
])
def test_bad_exports_name_the_line(text, message):
    with pytest.raises(ParseError, match=message):
        da_hrl_lmps_items(text, "export.csv")


def test_an_ept_that_is_not_the_utc_wall_clock_is_refused():
    text = f"{HEADER}\n1/1/2025 5:00:00 AM,1/1/2025 1:00:00 AM,1,PJM-RTO,,,ZONE,,21.26,21.0,0,0,True,1\n"
    with pytest.raises(ParseError, match="item 1"):
        parse_da_hrl_lmps_csv(text, "export.csv")


@settings(max_examples=40, deadline=None)
@given(hours=st.lists(st.integers(0, 365 * 24 - 1), min_size=1, max_size=30, unique=True),
       price=st.floats(-500, 3000, allow_nan=False).map(lambda p: round(p, 6)))
def test_any_hour_of_2025_round_trips(hours, price):
    ny = pd.Timestamp("2025-01-01", tz="America/New_York").tzinfo
    lines = [HEADER]
    for h in hours:
        utc = datetime(2025, 1, 1, 5, tzinfo=UTC) + timedelta(hours=h)
        ept = utc.astimezone(ny)
        lines.append(f"{utc:%m/%d/%Y %I:%M:%S %p},{ept:%m/%d/%Y %I:%M:%S %p},1,PJM-RTO,,,ZONE,,1,{price},0,0,True,1")
    frame = parse_da_hrl_lmps_csv("\n".join(lines), "export.csv").frame
    expected = sorted(datetime(2025, 1, 1, 5, tzinfo=UTC) + timedelta(hours=h) for h in hours)
    assert list(frame["interval_start_utc"]) == expected
    assert list(frame["interval_start_local"]) == [pd.Timestamp(t).tz_convert(ny).tz_localize(None) for t in expected]
    assert (frame["price_usd_per_mwh"] == price).all()
