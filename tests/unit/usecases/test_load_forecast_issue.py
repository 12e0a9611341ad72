"""`LoadForecast.issue_inputs` on a SQLite warehouse holding real PJME load and BWI weather:
the target day's rows (23/24/25), the cutoff (vintages and station observations), D-1 weather,
the operator-readable refusals and notes, and the perfect-weather copy of the training features."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from gridflow.errors import MissingInputError
from gridflow.forecast import weather_features as wf
from gridflow.usecases.configs import LoadForecastConfig
from gridflow.usecases.load_forecast import LoadForecast
from gridflow.warehouse.engine import make_engine, upgrade
from gridflow.warehouse.loads import write_load_observations
from gridflow.warehouse.weather import write_weather_daily, write_weather_forecast, write_weather_observations
from tests.conftest import PJME_FILE
from tests.unit.forecast.conftest import read_pjme, synthetic_load

BWI = PJME_FILE.parent / "weather" / "USW00093721_BWI_daily_2001_2018.csv"
TZ = "America/New_York"


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    eng = make_engine(f"sqlite:///{tmp_path_factory.mktemp('wh') / 'w.db'}")
    upgrade(eng)
    load = read_pjme(PJME_FILE)
    load = load[(load["interval_start_utc"] >= pd.Timestamp("2017-10-01", tz="UTC"))
                & (load["interval_start_utc"] < pd.Timestamp("2017-11-20", tz="UTC"))]
    raw = pd.read_csv(BWI)
    daily = pd.DataFrame({"site": "BWI", "local_date": pd.to_datetime(raw["Date"]).dt.date,
                          "tmax_f": raw["tmax"].astype(float), "tmin_f": raw["tmin"].astype(float),
                          "prcp_in": raw["prcp"].astype(float), "source": "ghcn_daily"})
    with eng.begin() as conn:
        write_load_observations(conn, load, None)
        write_weather_daily(conn, daily[daily["local_date"] >= dt.date(2017, 9, 1)], None)
    return eng


def forecast_rows(update_utc: str, first_utc: str, hours: int, temp: float) -> pd.DataFrame:
    valid = pd.date_range(first_utc, periods=hours, freq="h", tz="UTC")
    update = pd.Timestamp(update_utc, tz="UTC")
    return pd.DataFrame({"site": "BWI", "update_time_utc": update, "valid_start_utc": valid,
                         "valid_end_utc": valid + pd.Timedelta(hours=1), "temperature_f": temp,
                         "dewpoint_c": 5.0, "relative_humidity_pct": 60.0, "wind_speed_mph": 3.0,
                         "generated_at_utc": update, "fetched_at_utc": update + pd.Timedelta(minutes=3)})


def observation_rows(utc_times: list[str], temp_f: float | list[float], station: str = "KBWI") -> pd.DataFrame:
    at = pd.DatetimeIndex(utc_times, tz="UTC")
    temp_c = (np.broadcast_to(np.asarray(temp_f, dtype="float64"), (len(at),)) - 32) * 5 / 9
    return pd.DataFrame({"station": station, "observed_at_utc": at, "temperature_c": temp_c,
                         "dewpoint_c": 1.0, "quality_control": "V"})


def test_rows_of_the_target_day_without_weather_including_dst(engine):
    lf = LoadForecast(LoadForecastConfig(use_weather=False))
    with engine.connect() as conn:
        inputs = lf.issue_inputs(conn, "PJME", dt.date(2017, 11, 5))  # fall back: 25 hours
        normal = lf.issue_inputs(conn, "PJME", dt.date(2017, 11, 7))
    assert len(inputs.frame) == 25 and len(normal.frame) == 24
    assert inputs.issue_time_utc == pd.Timestamp("2017-11-04 13:00", tz="UTC")  # 09:00 EDT on D-1
    assert inputs.weather_kind == "none" and inputs.weather_vintage_utc is None and inputs.notes
    assert list(inputs.frame.columns[:5]) == ["zone", "interval_start_utc", "interval_start_local",
                                             "issue_time_utc", "is_dst"]
    assert set(lf.feature_columns()) <= set(inputs.frame.columns)
    assert (inputs.frame[lf.feature_columns()].dtypes == "float64").all()
    assert inputs.frame["last_load"].notna().all() and inputs.frame["lag_1d"].isna().any()
    assert inputs.frame["is_dst"].tolist() == [1.0, 1.0] + [0.0] * 23


def test_load_not_arrived_up_to_the_cutoff_is_refused_with_the_last_hour(engine):
    lf = LoadForecast(LoadForecastConfig(use_weather=False))
    with engine.connect() as conn, pytest.raises(MissingInputError, match="stored only up to 2017-11-19"):
        lf.issue_inputs(conn, "PJME", dt.date(2017, 11, 21))
    with engine.connect() as conn, pytest.raises(MissingInputError, match="no load stored for NOPE"):
        lf.issue_inputs(conn, "NOPE", dt.date(2017, 11, 7))


def test_weather_model_uses_the_vintage_known_at_the_cutoff_or_refuses(engine):
    lf = LoadForecast(LoadForecastConfig())  # the default site list: BWI feeds PJME
    target = dt.date(2017, 11, 8)
    with engine.connect() as conn, pytest.raises(MissingInputError, match="none stored"):
        lf.issue_inputs(conn, "PJME", target)
    with engine.begin() as conn:
        write_weather_forecast(conn, forecast_rows("2017-11-07 11:00", "2017-11-07 12:00", 72, 50.0), None)
        write_weather_forecast(conn, forecast_rows("2017-11-07 14:30", "2017-11-07 15:00", 72, 99.0), None)
    with engine.connect() as conn:
        # The vintage covers D-1 (11-07) only from 12:00 UTC (07:00 EST): 17 hours, no observation.
        blind = lf.issue_inputs(conn, "PJME", target)
    assert blind.frame[wf.D1_FEATURES].isna().all().all() and blind.frame["wx_tmax_f"].notna().all()
    assert any("D-1 weather is NaN" in note and "none stored" in note for note in blind.notes)
    # KBWI's morning of D-1, 00:54..07:54 EST and one report exactly at the 09:00 EST cutoff; later
    # reports (one second to hours after it) are absurdly hot and must not reach a feature.
    morning = [f"2017-11-07 {h:02d}:54" for h in range(5, 13)] + ["2017-11-07 14:00"]
    with engine.begin() as conn:
        write_weather_observations(conn, observation_rows(morning, [41, 40, 39, 38, 38, 39, 42, 45, 36]), None)
        write_weather_observations(conn, observation_rows(
            ["2017-11-07 14:00:01", "2017-11-07 14:54", "2017-11-07 19:54", "2017-11-08 06:54"], 150.0), None)
    with engine.connect() as conn:
        inputs = lf.issue_inputs(conn, "PJME", target)  # cutoff 09:00 EST = 14:00 UTC
        with pytest.raises(MissingInputError, match="latest stored 2017-11-07 14:30"):
            lf.issue_inputs(conn, "PJME", dt.date(2017, 11, 12))
    assert inputs.weather_kind == "forecast" and inputs.weather_site == "BWI"
    assert inputs.weather_vintage_utc == pd.Timestamp("2017-11-07 11:00", tz="UTC")
    assert (inputs.frame["wx_tmax_f"] == 50.0).all()
    assert inputs.frame[wf.WEATHER_FEATURES].notna().all().all()
    # D-1 = the 9 observed hours up to the cutoff (the one AT it, 36 F, included) plus the
    # vintage's 14 hours after it (50 F).
    np.testing.assert_allclose(inputs.frame["wx_tmax_d1"], 50.0)
    np.testing.assert_allclose(inputs.frame["wx_tmin_d1"], 36.0)
    np.testing.assert_allclose(inputs.frame["wx_tmean_delta_1d"], 50.0 - (50.0 + 36.0) / 2)
    assert not any("D-1" in note for note in inputs.notes)
    # A champion trained without weather issues without it even when weather is configured.
    base = lf.issue_inputs(engine.connect(), "PJME", target, feature_columns=LoadForecast(
        LoadForecastConfig(use_weather=False)).feature_columns())
    assert base.weather_kind == "none" and not np.isin(wf.WEATHER_FEATURES, base.frame.columns).any()


def test_a_site_without_any_weather_names_the_ingest_command(engine, monkeypatch):
    from gridflow.config import reset_settings

    monkeypatch.setenv("GRIDFLOW_WEATHER__SITES", '[{"site": "XYZ", "zone": "PJME", "latitude": 39, '
                                                  '"longitude": -76, "station": "KXYZ"}]')
    reset_settings()
    try:
        with engine.connect() as conn, pytest.raises(MissingInputError, match="gridflow ingest weather-history"):
            LoadForecast(LoadForecastConfig()).issue_inputs(conn, "PJME", dt.date(2017, 11, 8))
    finally:
        monkeypatch.delenv("GRIDFLOW_WEATHER__SITES")
        reset_settings()


def test_the_perfect_copy_has_zero_error_on_the_target_day_and_d1():
    from gridflow.forecast.features import build_day_ahead_features
    from gridflow.usecases.load_forecast import PERFECT_PREFIX, WeatherInputs

    raw = pd.read_csv(BWI)
    daily = pd.DataFrame({"site": "BWI", "local_date": pd.to_datetime(raw["Date"]),
                          "tmax_f": raw["tmax"].astype(float), "tmin_f": raw["tmin"].astype(float)})
    lf = LoadForecast(LoadForecastConfig())
    feats = build_day_ahead_features(synthetic_load("PJME", "2017-06-01", "2017-07-15"), TZ, issue_hour_local=9)
    empty = forecast_rows("2017-01-01", "2017-01-01", 1, 0.0).iloc[:0]
    weather = WeatherInputs(lf._site_frame(["PJME"]), daily, empty)
    out = lf._add_weather(feats, weather, observed_fallback=True, perfect_copy=True)
    obs = daily.set_index("local_date")
    prev = pd.DatetimeIndex(feats["interval_start_local"]).normalize() - pd.Timedelta(days=1)
    np.testing.assert_allclose(out[PERFECT_PREFIX + "wx_tmax_d1"], obs.loc[prev, "tmax_f"].to_numpy())
    assert (out["wx_tmax_d1"] != out[PERFECT_PREFIX + "wx_tmax_d1"]).mean() > 0.9  # honest: with error
    assert all(PERFECT_PREFIX + c in out.columns for c in wf.WEATHER_FEATURES)
    assert set(out[wf.WEATHER_D1_KIND]) == {wf.KIND_OBSERVED_ERROR}
