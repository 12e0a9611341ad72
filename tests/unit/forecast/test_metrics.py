"""Metrics on hand-computed examples, including NaN / zero handling and peak hours."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from gridflow.forecast.metrics import mae, mape, peak_hour_mape, regression_report, rmse


def test_simple_values():
    assert mape([100, 200], [110, 180]) == pytest.approx(10.0)
    assert mae([100, 200], [110, 180]) == pytest.approx(15.0)
    assert rmse([100, 200], [110, 180]) == pytest.approx(math.sqrt((100 + 400) / 2))


def test_nan_predictions_and_zero_actuals_are_skipped():
    y = [100.0, 0.0, 50.0, 200.0]
    p = [90.0, 5.0, np.nan, 250.0]
    # MAPE: the zero actual and the NaN prediction drop out -> (10 % + 25 %) / 2.
    assert mape(y, p) == pytest.approx(17.5)
    # RMSE/MAE keep the zero-actual row (errors 10, 5, 50) and drop only the NaN prediction.
    assert mae(y, p) == pytest.approx(65 / 3)
    assert rmse(y, p) == pytest.approx(math.sqrt((100 + 25 + 2500) / 3))
    assert math.isnan(mape([0.0, 10.0], [1.0, np.nan]))
    assert math.isnan(rmse([], []))


def test_peak_hour_mape_uses_each_zone_days_highest_actual():
    frame = pd.DataFrame(
        {
            "zone": ["A", "A", "A", "A", "A", "B", "B"],
            "day": pd.to_datetime(["2021-01-01"] * 3 + ["2021-01-02"] * 2 + ["2021-01-01"] * 2),
            "y": [10.0, 20.0, 15.0, 30.0, 40.0, 100.0, 50.0],
            "p": [10.0, 18.0, 0.0, 30.0, 50.0, np.nan, 50.0],
        }
    )
    # A/day1 peak 20 -> 10 %; A/day2 peak 40 -> 25 %; B/day1 peak 100 has no prediction: skipped
    # (not replaced by its 50 MW hour, which would score a perfect 0 %).
    got = peak_hour_mape(frame["y"], frame["p"], frame["day"], frame["zone"])
    assert got == pytest.approx(17.5)


def test_regression_report_has_all_four():
    day = pd.to_datetime(["2021-01-01", "2021-01-01"])
    report = regression_report(np.array([100.0, 200.0]), np.array([110.0, 180.0]), day, ["Z", "Z"])
    assert report == pytest.approx(
        {"mape": 10.0, "rmse": math.sqrt(250.0), "mae": 15.0, "peak_hour_mape": 10.0}
    )


def test_shape_mismatch_is_an_error():
    with pytest.raises(ValueError, match="shape"):
        mae([1.0, 2.0], [1.0])


def test_interval_metrics_pinball_and_seasons():
    from gridflow.forecast.metrics import interval_report, pinball_loss, seasonal_mape

    y = np.array([10.0, 20.0, 30.0, np.nan])
    assert pinball_loss(y, np.array([12.0, 18.0, 30.0, 1.0]), 0.9) == pytest.approx((0.1 * 2 + 0.9 * 2 + 0) / 3)
    rep = interval_report(y, y - 1, y, np.array([11.0, 19.0, 31.0, 5.0]))
    assert rep["coverage_p10_p90"] == pytest.approx(2 / 3)
    assert rep["interval_width_mean"] == pytest.approx(4 / 3)
    seasons = seasonal_mape([100.0, 100.0, 100.0, 100.0], [90.0, 100.0, 100.0, 100.0], [1, 4, 7, 12])
    assert seasons == {"mape_djf": 5.0, "mape_mam": 0.0, "mape_jja": 0.0, "mape_son": pytest.approx(float("nan"), nan_ok=True)}
