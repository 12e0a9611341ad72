"""The weather flows on a real Prefect server against the replay server's fake api.weather.gov
(real recorded answers, times shifted to now; gridflow.replay.nws_weather): a 500 then success,
a 500 forever (site fails naming the endpoint, earlier vintage intact), a stale updateTime
(reported, no rows), a null temperature (kept, counted), an all-null vintage (quarantined),
re-runs (no new rows), the GHCN history file, and the synthetic demo vintage for 2018-08-02."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from gridflow.replay import ReplayServer
from gridflow.replay.nws_weather import GHCN_BWI, demo_weather_scenario, real_weather_scenario

pytestmark = pytest.mark.integration

SITE = {"site": "TAE", "zone": "PJME", "latitude": 30.0, "longitude": -85.0, "station": "KFLL"}
BWI = {"site": "BWI", "zone": "PJME", "latitude": 39.1754, "longitude": -76.6683, "station": "KBWI"}
FORECAST_PATH = "/gridpoints/TAE/58,65/forecast/hourly"


@pytest.fixture
def weather_env(gridflow_env, monkeypatch):
    """One site on the real fixtures' point and station; client retries in milliseconds."""
    from gridflow.config import reset_settings

    monkeypatch.setenv("GRIDFLOW_WEATHER__SITES", json.dumps([SITE, BWI]))
    monkeypatch.setenv("GRIDFLOW_WEATHER__MAX_ATTEMPTS", "3")
    monkeypatch.setenv("GRIDFLOW_WEATHER__BACKOFF_SECONDS", "0.01")
    reset_settings()
    return gridflow_env


def forecasts(site: str = "TAE", known_by=None) -> pd.DataFrame:
    from gridflow.warehouse.weather import read_weather_forecasts
    from tasks.common import warehouse

    with warehouse().connect() as conn:
        return read_weather_forecasts(conn, [site], known_by_utc=known_by)


def count(table: str) -> int:
    from tasks.common import warehouse

    with warehouse().connect() as conn:
        return conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()


def ledger(dataset: str) -> list[dict]:
    from gridflow.warehouse.ledger import list_ingests
    from tasks.common import warehouse

    with warehouse().connect() as conn:
        return list_ingests(conn, dataset, limit=100)


def test_500_then_success_then_rerun_changes_nothing(weather_env, warehouse_url):
    from flows.ingest_weather import ingest_weather

    with ReplayServer() as server:
        fake = real_weather_scenario().serve(server).fail("forecast", times=1)
        first = ingest_weather(["TAE"], base_url=server.base_url)
        assert [o.status for o in first.outcomes] == ["loaded", "loaded"], first.describe()
        assert [r.path for r in fake.requests].count(FORECAST_PATH) == 2  # the 500, then the answer
        stored = forecasts()
        assert len(stored) == 2 and stored["temperature_f"].tolist() == [78.0, 77.0]
        assert stored["update_time_utc"].nunique() == 1 and stored["fetched_at_utc"].notna().all()
        assert (stored["generated_at_utc"] > stored["update_time_utc"]).all()
        assert count("weather_observation") == 1

        again = ingest_weather(["TAE"], base_url=server.base_url)
        # Same vintage again: a no-op reported as stale; the same observations: skipped.
        assert [o.status for o in again.outcomes] == ["skipped", "skipped"]
        assert again.totals["stale"] == ["TAE/forecast"] and again.rows_written == 0
        assert "stale: 1" in again.describe()
        pd.testing.assert_frame_equal(forecasts(), stored)
        # The grid cell was resolved once and cached.
        assert [r.path for r in fake.requests].count("/points/30,-85") == 1
    assert all(r["status"] != "started" for r in ledger("weather_forecast"))


def test_500_forever_fails_naming_the_endpoint_and_keeps_the_last_vintage(weather_env):
    from flows.ingest_weather import ingest_weather
    from gridflow.ingest.weather import WeatherIngestError

    with ReplayServer() as server:
        fake = real_weather_scenario().serve(server)
        ingest_weather(["TAE"], base_url=server.base_url)
        before = forecasts()
        fake.new_vintage(3).fail("forecast", times=None)
        with pytest.raises(WeatherIngestError) as info:
            ingest_weather(["TAE"], base_url=server.base_url)
    message = str(info.value)
    assert "TAE/forecast" in message and FORECAST_PATH in message and "HTTP 500" in message
    assert "on all 3 attempts" in message and "last good vintage stays" in message
    pd.testing.assert_frame_equal(forecasts(), before)


def test_stale_update_time_is_reported_and_writes_nothing(weather_env):
    from flows.ingest_weather import ingest_weather

    with ReplayServer() as server:
        real_weather_scenario().serve(server).stale(30)  # the grid stopped updating 31 h ago
        report = ingest_weather(["TAE"], base_url=server.base_url)
    forecast = report.outcomes[0]
    assert forecast.status == "skipped" and forecast.facts["stale"] is True
    assert "h old (limit 12 h)" in forecast.reason
    assert report.totals["stale"] == ["TAE/forecast"]
    assert count("weather_forecast") == 0
    assert ledger("weather_forecast")[0]["status"] == "skipped"


def test_null_temperature_is_kept_and_counted_all_null_is_quarantined(weather_env):
    from flows.ingest_weather import ingest_weather

    with ReplayServer() as server:
        fake = real_weather_scenario().serve(server).null_temperature(1)
        report = ingest_weather(["TAE"], base_url=server.base_url)
        assert report.totals["null_temperatures"] == 1 and "null temperatures: 1" in report.describe()
        stored = forecasts()
        assert len(stored) == 2 and stored["temperature_f"].isna().tolist() == [False, True]

        fake.new_vintage(1).all_null_temperatures()
        broken = ingest_weather(["TAE"], base_url=server.base_url)
    forecast = broken.outcomes[0]
    assert forecast.status == "quarantined" and "all 2 hourly temperatures are null" in forecast.reason
    entry = next(r for r in ledger("weather_forecast") if r["id"] == forecast.ledger_id)
    assert entry["status"] == "quarantined" and Path(entry["details"]["kept_at"]).is_file()
    pd.testing.assert_frame_equal(forecasts(), stored)


def test_a_cached_grid_that_404s_is_resolved_again(weather_env):
    from gridflow.ingest import weather
    from gridflow.replay.server import Reply
    from tasks.common import warehouse

    engine = warehouse()
    with ReplayServer() as server:
        fake = real_weather_scenario().serve(server)
        with engine.begin() as conn:  # a grid cell NWS has since renumbered
            weather.store.cache_grid(conn, weather.NWS_SOURCE, "TAE", pd.Timestamp.now(tz="UTC"),
                                     {"grid_id": "TAE", "grid_x": 57, "grid_y": 65, "time_zone": "America/New_York",
                                      "forecast_hourly": "x", "latitude": 30.0, "longitude": -85.0})
        server.add("/gridpoints/TAE/57,65/forecast/hourly", Reply(404, "{}"))
        outcomes = weather.ingest_nws_site(engine, weather.find_site("TAE"), server.base_url)
    assert outcomes[0].status == "loaded"
    assert [r.path for r in fake.requests][:2] == ["/points/30,-85", FORECAST_PATH]
    with engine.connect() as conn:
        assert weather.store.cached_grid(conn, weather.NWS_SOURCE, "TAE")["grid_x"] == 58


def test_history_file_loads_once_and_a_broken_file_is_quarantined(weather_env, tmp_path):
    from flows.ingest_weather import ingest_weather_history
    from gridflow.errors import ParseError
    from gridflow.warehouse.weather import read_weather_daily
    from tasks.common import warehouse

    first = ingest_weather_history(str(GHCN_BWI))
    assert first.status == "loaded" and first.rows_written == 6574
    assert ingest_weather_history(str(GHCN_BWI)).status == "skipped"
    with warehouse().connect() as conn:
        day = read_weather_daily(conn, ["BWI"], date(2018, 8, 2), date(2018, 8, 2))
    assert day[["tmax_f", "tmin_f", "prcp_in", "source"]].iloc[0].tolist() == [88.0, 73.0, 0.28, "ghcn_daily"]

    broken = tmp_path / "USW00093721_BWI_daily_broken.csv"
    broken.write_text('"","Date","tmax","tmin","prcp"\n"1",2019-01-01,hot,20,0\n')
    with pytest.raises(ParseError, match="line 2: column 'tmax' has non-numeric value 'hot'"):
        ingest_weather_history(str(broken))
    statuses = [r["status"] for r in ledger("weather_daily")]
    assert sorted(statuses) == ["loaded", "quarantined", "skipped"]
    assert count("weather_daily") == 6574


def test_demo_vintage_for_2018_08_02_is_selected_point_in_time(weather_env):
    from flows.ingest_weather import ingest_weather

    fake = demo_weather_scenario("BWI", date(2018, 8, 2), date(2018, 8, 2))
    with ReplayServer() as server:
        fake.serve(server)
        report = ingest_weather(["BWI"], base_url=server.base_url, as_of_utc="2018-08-01T13:00:00Z")
    assert report.outcomes[0].status == "loaded", report.describe()
    issue_time = pd.Timestamp("2018-08-01 09:00", tz="America/New_York")
    known = forecasts("BWI", known_by=issue_time)
    assert known["update_time_utc"].unique().tolist() == [pd.Timestamp("2018-08-01 06:00", tz="America/New_York")]
    day = known[known["valid_start_utc"].dt.tz_convert("America/New_York").dt.date == date(2018, 8, 2)]
    assert len(day) == 24
    # Derived from GHCN (tmax 88, tmin 73) plus one day's error of exactly 2.5 F (one target day),
    # rounded to whole degrees like NWS temperatures.
    error = day["temperature_f"].max() - 88.0
    assert abs(error) == pytest.approx(2.5, abs=0.5)
    assert day["temperature_f"].min() - 73.0 == pytest.approx(error, abs=1.0)
    # Known before the vintage existed: nothing.
    assert forecasts("BWI", known_by=pd.Timestamp("2018-08-01 05:59", tz="America/New_York")).empty
    # The morning of D-1 observed by the issue time: 00:54 .. 08:54 local.
    assert count("weather_observation") == 9
