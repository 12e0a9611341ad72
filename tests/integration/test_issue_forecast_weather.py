"""The daily issue with weather on, end to end on real stores: BWI's GHCN history and a replayed
NWS vintage ingested, the champion trained with weather features, the forecast issued from the
vintage known at the issue time; a day whose vintage did not exist yet at its issue time fails
with the reason, and is issued by the no-weather fallback once that is configured and trained."""

from __future__ import annotations

import json
from datetime import date

import pandas as pd
import pytest
import sqlalchemy as sa

from gridflow.replay import ReplayServer
from gridflow.replay.nws_weather import GHCN_BWI, demo_weather_scenario
from tests.conftest import write_pjme_excerpt

pytestmark = pytest.mark.integration

BWI = {"site": "BWI", "zone": "PJME", "latitude": 39.1754, "longitude": -76.6683, "station": "KBWI"}
DAY = date(2015, 12, 31)  # issued as of 2015-12-30 09:00 EST; the replayed vintage is 06:00 EST that day
EARLIER_DAY = date(2015, 12, 30)  # issued as of 2015-12-29 09:00: the vintage did not exist yet


@pytest.fixture
def weather_on(gridflow_env, monkeypatch):
    from gridflow.config import reset_settings

    monkeypatch.setenv("GRIDFLOW_WEATHER__SITES", json.dumps([BWI]))
    reset_settings()
    return gridflow_env


def _issued(day: date) -> pd.DataFrame:
    from gridflow.warehouse.forecast_issued import read_issued
    from tasks.common import warehouse

    with warehouse().connect() as conn:
        return read_issued(conn, "PJME", day)


def _issue(day: date):
    from flows.issue_load_forecast import issue_load_forecast

    return issue_load_forecast(zones=["PJME"], for_date=day.isoformat(), return_state=True)


def test_issue_uses_the_vintage_known_at_issue_time_and_falls_back_only_when_configured(
        weather_on, tmp_path, monkeypatch):
    from flows.ingest_pjm_load import ingest_pjm_load
    from flows.ingest_weather import ingest_weather, ingest_weather_history
    from flows.retrain import retrain
    from gridflow.config import reset_settings
    from gridflow.registry import mlflow_registry as registry

    ingest_pjm_load(str(write_pjme_excerpt(tmp_path / "pjme.csv", "2013-01-01", "2016-01-01 00:30")))
    ingest_weather_history(str(GHCN_BWI))
    with ReplayServer() as server:
        demo_weather_scenario("BWI", DAY, DAY).serve(server)
        ingest_weather(["BWI"], base_url=server.base_url, as_of_utc="2015-12-30T14:00:00Z")

    trained = retrain(model="load_forecast", trigger="test: weather champion")
    assert trained.decision.action == "promote", trained.decision.reason
    params = registry.run_params(trained.mlflow_run_id)
    assert params["weather_sites"] == "BWI:PJME:1" and params["zones_without_weather"] == "none"
    assert "wx_tmax_f" in params["features"].split(",")

    state = _issue(DAY)
    assert state.is_completed(), state.message
    rows = _issued(DAY)
    assert len(rows) == 24
    assert set(rows["weather_kind"]) == {"forecast"} and set(rows["weather_site"]) == {"BWI"}
    assert set(rows["weather_vintage_utc"]) == {pd.Timestamp("2015-12-30 11:00", tz="UTC")}
    assert set(rows["issued_at_utc"]) == {pd.Timestamp("2015-12-30 14:00", tz="UTC")}
    assert set(rows["model_name"]) == {"load_forecast"}
    assert (rows["p10_mw"] <= rows["p50_mw"]).all() and (rows["p50_mw"] <= rows["p90_mw"]).all()

    # The only vintage was issued after this day's issue time: point in time, it does not exist.
    failed = _issue(EARLIER_DAY)
    assert failed.is_failed()
    assert "no weather forecast vintage" in failed.message and "MissingInputError" in failed.message, failed.message
    assert _issued(EARLIER_DAY).empty

    # Configured and trained, the no-weather model is issued instead, and the rows say so.
    monkeypatch.setenv("GRIDFLOW_LOAD_FORECAST__FALLBACK_MODEL", "load_forecast_noweather")
    reset_settings()
    fallback = retrain(model="load_forecast_noweather", trigger="test: fallback")
    assert fallback.decision.action == "promote", fallback.decision.reason
    assert "wx_tmax_f" not in registry.run_params(fallback.mlflow_run_id)["features"].split(",")
    state = _issue(EARLIER_DAY)
    assert state.is_completed(), state.message
    result = state.result()
    assert "FALLBACK" in result.issued["PJME"] and "load_forecast_noweather" in result.issued["PJME"]
    rows = _issued(EARLIER_DAY)
    assert len(rows) == 24 and set(rows["model_name"]) == {"load_forecast_noweather"}
    assert set(rows["weather_kind"]) == {"none"} and rows["weather_vintage_utc"].isna().all()

    # A re-run of the weather day stores nothing new.
    from tasks.common import warehouse

    with warehouse().connect() as conn:
        total = conn.execute(sa.text("SELECT count(*) FROM load_forecast_issued")).scalar_one()
    assert _issue(DAY).is_completed()
    with warehouse().connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM load_forecast_issued")).scalar_one() == total == 48
