"""Weather's acceptance on the shipped files: PJM East load and BWI's GHCN-Daily temperatures.

Same split as test_accuracy_pjme (train before 2015-01-01 local, test 2015 on). The history has
no archived NWS vintages or station observations, so the target day's and D-1's temperatures are
the training stand-in: observed plus a seeded forecast-sized error (MAE 2.5 F for D, 1.5 F for
D-1; see gridflow.forecast.weather_features). That is the honest figure; the perfect one (zero
error) is printed for reference. Trained through the use case itself, with its default settings.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gridflow.forecast import intervals, metrics
from gridflow.forecast.model import fit_xgb_regressor, predict
from gridflow.sources.weather.ghcn_daily import parse_ghcn_daily
from gridflow.usecases.configs import LoadForecastConfig
from gridflow.usecases.load_forecast import LoadForecast, WeatherInputs
from tests.conftest import PJME_FILE

BWI = PJME_FILE.parent / "weather" / "USW00093721_BWI_daily_2001_2018.csv"
HONEST_MAPE_TO_BEAT = 4.04  # the honest model with the target-day weather alone, before D-1


@pytest.fixture(scope="module")
def weather() -> WeatherInputs:
    daily = parse_ghcn_daily(BWI, "BWI").frame
    daily = daily.assign(local_date=pd.to_datetime(daily["local_date"]).astype("datetime64[ns]"))
    sites = pd.DataFrame({"site": ["BWI"], "zone": ["PJME"], "weight": [1.0], "station": ["KBWI"]})
    no_vintages = pd.DataFrame({"site": pd.Series(dtype=object),
                                "update_time_utc": pd.Series(dtype="datetime64[ns, UTC]"),
                                "valid_start_utc": pd.Series(dtype="datetime64[ns, UTC]"),
                                "temperature_f": pd.Series(dtype="float64")})
    return WeatherInputs(sites, daily, no_vintages)


def test_honest_weather_beats_the_target_and_no_weather_with_a_calibrated_band(pjme_load, weather):
    with_weather = LoadForecast(LoadForecastConfig())
    assert with_weather.uses_weather()  # the default site list: BWI feeds PJME
    raw = pjme_load.copy()
    raw.attrs["weather"] = weather
    feats = with_weather.build_features(raw)
    train, holdout = with_weather.split(feats)
    holdout = holdout[holdout["target"].notna()]
    model = with_weather.fit(train).model
    q = intervals.predict_quantiles(model, holdout[with_weather.feature_columns()])
    y = holdout["target"].to_numpy(dtype="float64")
    honest = with_weather.score(holdout, q[intervals.P50].to_numpy()) | with_weather.interval_metrics(model, holdout)

    # The no-weather model: same split and settings, the point model alone (its band is not checked).
    plain = LoadForecast(LoadForecastConfig(use_weather=False))
    plain_feats = plain.build_features(pjme_load)
    plain_train, plain_holdout = plain.split(plain_feats)
    plain_train = plain_train[plain_train["target"].notna()]
    plain_holdout = plain_holdout[plain_holdout["target"].notna()]
    columns = plain.feature_columns()
    plain_model = fit_xgb_regressor(plain_train[columns], plain_train["target"], plain.xgb_params())
    no_weather = metrics.mape(plain_holdout["target"], predict(plain_model, plain_holdout[columns]))

    print({"no_weather_mape": round(no_weather, 3), **{k: round(v, 3) for k, v in honest.items()}})
    assert len(y) > 30_000 and len(plain_holdout) == len(y)
    assert honest["mape"] < HONEST_MAPE_TO_BEAT
    assert no_weather - honest["mape"] > 1.5
    assert 0.70 <= honest["coverage_p10_p90"] <= 0.90
    # Zero weather error can only help: a perfect figure above the honest one means the copy is wrong.
    assert honest["mape_perfect_weather"] < honest["mape"]
    assert np.isfinite(honest["pinball_mean"])
