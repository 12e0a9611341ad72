"""Weather parsers: golden files on the real NWS answers (tests/fixtures/nws/*_pynws_fixture.json)
and the shipped GHCN-Daily file, unit conversions, nulls kept and counted, every bad input named."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gridflow.errors import ParseError
from gridflow.sources.weather.ghcn_daily import parse_ghcn_daily
from gridflow.sources.weather.nws_forecast import parse_forecast_hourly, wind_mph
from gridflow.sources.weather.nws_observations import parse_observations
from gridflow.sources.weather.nws_points import parse_points

ROOT = Path(__file__).resolve().parents[4]
FIXTURES = ROOT / "tests" / "fixtures" / "nws"
GOLDEN = FIXTURES / "golden"
GHCN = ROOT / "data" / "weather" / "USW00093721_BWI_daily_2001_2018.csv"
POINTS = FIXTURES / "nws_points_pynws_fixture.json"
FORECAST = FIXTURES / "nws_gridpoints_forecast_hourly_pynws_fixture.json"
OBSERVATIONS = FIXTURES / "nws_stations_observations_pynws_fixture.json"
FETCHED = pd.Timestamp("2019-10-15 00:20", tz="UTC")


def as_records(frame: pd.DataFrame) -> list[dict]:
    """A frame as stable JSON: instants as ISO UTC with Z, NaN as null."""
    out = []
    for row in frame.to_dict("records"):
        out.append({k: (None if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NaT
                        else v.strftime("%Y-%m-%dT%H:%M:%SZ") if isinstance(v, pd.Timestamp) else v)
                    for k, v in row.items()})
    return out


def golden(name: str) -> list[dict] | dict:
    return json.loads((GOLDEN / name).read_text())


def test_points_golden():
    point = parse_points(POINTS.read_bytes(), "points.json")
    assert point.as_dict() == golden("nws_points_pynws_fixture.json")
    assert point.forecast_hourly_path == "/gridpoints/TAE/58,65/forecast/hourly"
    assert point.forecast_hourly.endswith(point.forecast_hourly_path)


def test_forecast_golden_and_vintage():
    vintage = parse_forecast_hourly(FORECAST.read_bytes(), "TAE", FETCHED, "forecast.json")
    assert as_records(vintage.frame) == golden("nws_gridpoints_forecast_hourly_pynws_fixture.json")
    # The document's own vintage, not our fetch time: 2019-10-14T23:16:24+00:00 / generatedAt 00:12:54.
    assert vintage.update_time_utc == pd.Timestamp("2019-10-14 23:16:24", tz="UTC")
    assert vintage.generated_at_utc == pd.Timestamp("2019-10-15 00:12:54", tz="UTC")
    # 20:00-04:00 EDT is 00:00 UTC the next day.
    assert vintage.frame["valid_start_utc"].iloc[0] == pd.Timestamp("2019-10-15 00:00", tz="UTC")
    assert str(vintage.frame["valid_start_utc"].dtype) == "datetime64[ns, UTC]"
    assert vintage.null_temperatures == 0 and vintage.issues == []
    assert vintage.parsed.rows_read == 2


def test_observations_golden_duplicate_time_keeps_the_measured_one():
    parsed = parse_observations(OBSERVATIONS.read_bytes(), "observations.json")
    assert as_records(parsed.frame) == golden("nws_stations_observations_pynws_fixture.json")
    # The real answer lists 10:53Z twice: once all null, once 10 degC. Station from the URL.
    assert parsed.rows_read == 2 and len(parsed.frame) == 1
    assert parsed.frame.iloc[0][["station", "temperature_c", "quality_control"]].tolist() == ["KFLL", 10.0, "V"]
    assert any("repeated" in i for i in parsed.issues) and any("without a temperature" in i for i in parsed.issues)


def test_observation_nulls_are_kept_and_degf_converted():
    doc = json.loads(OBSERVATIONS.read_text())
    second = doc["features"][1]
    second["properties"]["timestamp"] = "2019-06-27T11:53:00+00:00"
    second["properties"]["temperature"] = {"value": 50, "unitCode": "wmoUnit:degF", "qualityControl": "qc:C"}
    parsed = parse_observations(doc)
    assert len(parsed.frame) == 2
    assert np.isnan(parsed.frame["temperature_c"].iloc[0])
    assert parsed.frame["temperature_c"].iloc[1] == pytest.approx(10.0)
    assert parsed.frame["quality_control"].tolist() == ["V", "C"]


def _forecast_doc() -> dict:
    return json.loads(FORECAST.read_text())


def test_null_temperature_is_kept_and_counted():
    doc = _forecast_doc()
    doc["properties"]["periods"][1]["temperature"] = None
    vintage = parse_forecast_hourly(doc, "TAE", FETCHED)
    assert len(vintage.frame) == 2 and vintage.null_temperatures == 1
    assert np.isnan(vintage.frame["temperature_f"].iloc[1]) and vintage.frame["temperature_f"].iloc[0] == 78.0
    assert vintage.issues == ["1 of 2 hourly temperature(s) null (kept as null)"]


def test_celsius_temperatures_are_converted_in_both_shapes():
    doc = _forecast_doc()
    first, second = doc["properties"]["periods"]
    first.update(temperature=25, temperatureUnit="C")
    second["temperature"] = {"unitCode": "wmoUnit:degC", "value": -40}
    second["dewpoint"] = {"unitCode": "wmoUnit:degF", "value": 41}
    frame = parse_forecast_hourly(doc, "TAE", FETCHED).frame
    assert frame["temperature_f"].tolist() == pytest.approx([77.0, -40.0])
    assert frame["dewpoint_c"].tolist() == pytest.approx([5.0, 5.0])


@pytest.mark.parametrize(("text", "mph"), [("10 mph", 10.0), ("0 mph", 0.0), ("5 to 10 mph", 7.5),
                                           ("16 km/h", 16 * 0.621371), (None, None), ("", None)])
def test_wind_speed_text(text, mph):
    value = wind_mph(text, "period 1", "x")
    assert np.isnan(value) if mph is None else value == pytest.approx(mph)


@pytest.mark.parametrize(("mutate", "message"), [
    (lambda d: d["properties"].pop("updateTime"), "updateTime"),
    (lambda d: d["properties"].update(periods=[]), "periods is missing or empty"),
    (lambda d: d["properties"]["periods"][1].update(startTime="2019-10-14T21:00:00"), "period 2 startTime"),
    (lambda d: d["properties"]["periods"][0].update(windSpeed="calm-ish"), "period 1: windSpeed 'calm-ish'"),
    (lambda d: d["properties"]["periods"][0].update(temperature="warm"), "period 1 temperature 'warm'"),
    (lambda d: d["properties"]["periods"][0].update(temperatureUnit="K"), "temperatureUnit 'K'"),
    (lambda d: d.pop("properties"), "no 'properties'"),
])
def test_forecast_errors_name_the_field(mutate, message):
    doc = copy.deepcopy(_forecast_doc())
    mutate(doc)
    with pytest.raises(ParseError, match=message.replace("(", r"\(")) as info:
        parse_forecast_hourly(doc, "TAE", FETCHED, "forecast.json")
    assert info.value.source == "forecast.json"


def test_points_errors():
    doc = json.loads(POINTS.read_text())
    del doc["properties"]["gridId"]
    with pytest.raises(ParseError, match=r"lack \['gridId'\]"):
        parse_points(doc)
    with pytest.raises(ParseError, match="not JSON"):
        parse_points(b"<html>", "points")


def test_ghcn_shipped_file():
    parsed = parse_ghcn_daily(GHCN, "BWI")
    frame = parsed.frame
    assert parsed.rows_read == 6574 == len(frame)
    assert list(frame.columns) == ["site", "local_date", "tmax_f", "tmin_f", "prcp_in", "source"]
    assert str(frame["local_date"].dtype) == "datetime64[ns]"
    assert frame["local_date"].iloc[0] == pd.Timestamp("2001-01-01")
    assert frame["local_date"].iloc[-1] == pd.Timestamp("2018-12-31")
    assert frame["local_date"].is_unique and frame["local_date"].is_monotonic_increasing
    day = frame.set_index("local_date").loc["2018-08-02"]
    assert (day["tmax_f"], day["tmin_f"], day["prcp_in"]) == (88.0, 73.0, 0.28)
    # NA on 2004-01-06 (tmin) and 2004-01-07 (tmax) stays missing.
    na = frame.set_index("local_date").loc["2004-01-06":"2004-01-07"]
    assert np.isnan(na["tmin_f"].iloc[0]) and np.isnan(na["tmax_f"].iloc[1])
    assert parsed.issues == ["2 missing value(s) (NA) kept as null"]


HEADER = '"","Date","tmax","tmin","prcp"\n'


@pytest.mark.parametrize(("body", "message"), [
    ('"","Date","TMAX","tmin","prcp"\n"1",2001-01-01,37,18,0\n', "line 1: header"),
    (HEADER + '"1",2001-01-01,37,18,0\n"2",2001-01-01,38,19,0\n', "line 3: date 2001-01-01 repeats line 2"),
    (HEADER + '"1",2001-01-01,37,18,0\n"2",2001-01-02,warm,19,0\n', "line 3: column 'tmax' has non-numeric value 'warm'"),
    (HEADER + '"1",01/02/2001,37,18,0\n', "line 2: Date '01/02/2001'"),
    (HEADER + '"1",2001-01-01,37,18\n', "line 2: 4 fields"),
    (HEADER, "no data rows"),
])
def test_ghcn_errors_name_line_and_value(body, message):
    with pytest.raises(ParseError, match=message.replace("(", r"\(")) as info:
        parse_ghcn_daily(body.encode(), "BWI", "bad.csv")
    assert info.value.source == "bad.csv"
