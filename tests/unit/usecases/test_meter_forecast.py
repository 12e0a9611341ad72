"""Use case `meter_forecast` on four real SGSC households: features, split, fit, scores, the late
joiner's forecast, the feeder configuration and the training suite."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from gridflow.consumption import issue_features as ife
from gridflow.usecases.catalog import get_use_case
from gridflow.usecases.configs import MeterForecastConfig
from gridflow.usecases.meter_forecast import MeterForecast, sampled_days
from tests.unit.consumption.sgsc_fixture import LATE_JOINER, sgsc_readings

SMALL = {"n_estimators": 60, "max_depth": 4}


def _case(**overrides) -> MeterForecast:
    return MeterForecast(MeterForecastConfig(holdout_days=7, train_sample_share=1.0, xgb_params=SMALL, **overrides))


def test_trains_one_global_model_and_forecasts_every_household_including_a_late_joiner():
    case = _case()
    feats = case.build_features(sgsc_readings())
    train, holdout = case.split(feats)
    assert holdout[ife.TARGET_DATE].min() == pd.Timestamp("2013-04-01")  # the last 7 local days
    assert train[ife.TARGET_DATE].max() == pd.Timestamp("2013-03-31")
    fitted = case.fit(train)
    predictions = fitted.model.predict(holdout[case.feature_columns()])
    assert np.isfinite(predictions).all() and len(predictions) == len(holdout)
    scores = case.score(holdout, predictions)
    baseline = case.score(holdout, case.baseline_predictions(holdout))
    for report in (scores, baseline):
        assert {"household_mae_mean", "household_mae_median", "aggregate_mape", "aggregate_mae"} <= set(report)
        assert 0 < report["household_mae_median"] < 1 and 0 < report["aggregate_mape"] < 100
    # The late joiner (3 weeks of history at the holdout) is forecast like the others.
    late = holdout[holdout["meter_id"] == LATE_JOINER]
    assert len(late) == 7 * 48 + 2 and late["recent_known_days"].min() >= 13
    assert np.isfinite(fitted.model.predict(late[case.feature_columns()])).all()


def test_a_household_in_its_first_days_still_gets_a_forecast():
    case = _case()
    feats = case.build_features(sgsc_readings())
    first = feats[(feats["meter_id"] == LATE_JOINER) & (feats[ife.TARGET_DATE] <= pd.Timestamp("2013-03-21"))]
    assert (first["history_days"] < 4).all() and np.isfinite(first[ife.BASELINE_4W]).all()
    fitted = case.fit(feats[feats[ife.TARGET_DATE] < pd.Timestamp("2013-03-18")])
    assert np.isfinite(fitted.model.predict(first[case.feature_columns()])).all()


def test_training_samples_whole_household_days_stably():
    feats = _case().build_features(sgsc_readings())
    mask = sampled_days(feats, 0.25)
    assert np.array_equal(mask, sampled_days(feats, 0.25))
    per_day = pd.Series(mask).groupby([feats["meter_id"].to_numpy(), feats[ife.TARGET_DATE].to_numpy()]).nunique()
    assert (per_day == 1).all() and 0.1 < mask.mean() < 0.4
    assert sampled_days(feats, 1.0).all()


def test_feeders_are_its_zones():
    case = get_use_case("meter_forecast")
    assert case.zoned and case.config.zones == ["SGSC"] and case.monitor.min_new_rows == 14 * 48
    assert set(case.drift_columns()) <= set(case.feature_columns())
    zone = get_use_case("meter_forecast.SGSC")
    assert zone.name == "meter_forecast.SGSC" and zone.config.zones == ["SGSC"]
    from gridflow.fleet.plan import plan_fleet

    plan = plan_fleet("meter_forecast")
    assert plan.zones == ["SGSC"] and plan.models == ["meter_forecast.SGSC"]
    with pytest.raises(ValidationError, match="not configured feeders"):
        MeterForecastConfig(zones=["NORTH"])


def test_the_training_suite_passes_the_fixture_and_catches_a_shifted_clock():
    from gridflow.validation.gx_adapter import validate_frame

    case = _case()
    readings = sgsc_readings()
    assert validate_frame(case.validation_view(readings), case.suite).success
    shifted = readings.assign(interval_start_local=readings["interval_start_local"] - pd.Timedelta(hours=1))
    report = validate_frame(case.validation_view(shifted), case.suite)
    assert not report.success and "local_clock_error_minutes" in str(report.failures)


def test_next_day_forecast_uses_only_what_is_known_the_morning_before():
    case = _case()
    readings = sgsc_readings()
    fitted = case.fit(case.build_features(readings))
    households, feeders = case.next_day_forecast(fitted.model, readings, "2013-04-07")  # the 50-half-hour day
    assert len(households) == 4 * 50 and households["forecast_kwh"].notna().all()
    assert (households["information_cutoff_utc"] == pd.Timestamp("2013-04-06", tz="Australia/Sydney")).all()
    assert len(feeders) == 50 and (feeders["households"] == 4).all()
    assert np.isclose(feeders["forecast_kwh"].sum(), households["forecast_kwh"].sum())
    # Readings of D-1 and D itself in the input change nothing: they are cut at the cutoff.
    local = pd.DatetimeIndex(readings["interval_start_local"])
    fewer = readings[np.asarray(local < pd.Timestamp("2013-04-06"))]
    again, _ = case.next_day_forecast(fitted.model, fewer, "2013-04-07")
    pd.testing.assert_frame_equal(households, again)
