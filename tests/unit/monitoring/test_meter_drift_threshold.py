"""The drift test's threshold comes from the use case's monitor policy: `meter_forecast` judges its
household features at 0.25, where the default (0.1) flags a season's change on four real households."""

from __future__ import annotations

import pandas as pd

from gridflow.consumption import issue_features as ife
from gridflow.monitoring.measure import measure_drift
from gridflow.monitoring.reference import PREDICTION
from gridflow.monitoring.types import Window
from gridflow.usecases.configs import MeterForecastConfig, MeterMonitorConfig
from gridflow.usecases.meter_forecast import MeterForecast
from tests.unit.consumption.sgsc_fixture import sgsc_readings


def _reference_and_window(case: MeterForecast) -> tuple[pd.DataFrame, Window]:
    feats = case.build_features(sgsc_readings())
    # The floor's forecast stands in for the model's: this checks the drift test, not a model.
    feats[PREDICTION] = feats[ife.BASELINE_4W]
    train, _ = case.split(feats)
    current = feats[feats[ife.TARGET_DATE] >= pd.Timestamp("2013-03-11")].reset_index(drop=True)
    return train[train[ife.TARGET].notna()], Window(current, "", "", 0)


def test_the_household_threshold_comes_from_the_monitor_policy():
    household = MeterForecast(MeterForecastConfig(holdout_days=7))
    default = MeterForecast(MeterForecastConfig(holdout_days=7, monitor=MeterMonitorConfig(drift_threshold=None)))
    assert household.monitor.drift_threshold == 0.25 and default.monitor.drift_threshold is None
    reference, window = _reference_and_window(household)
    strict = measure_drift(default, reference, window)
    loose = measure_drift(household, reference, window)
    assert (strict.threshold, loose.threshold) == (0.1, 0.25)
    assert strict.scores == loose.scores  # the same samples and distances, judged at two levels
    # Late March and April use ~20 % more than late February and March: every feature at 0.1, two at 0.25.
    assert strict.share == 1.0
    assert sorted(loose.drifted) == ["recent_mean", "recent_std"]
