"""Price metrics: $/MWh errors, the spike-aware top-5 % MAE, and the band without a percentage width."""

from __future__ import annotations

import numpy as np
import pytest

from gridflow.prices.metrics import band_report, price_report, top_share_mae


def test_top_share_mae_scores_only_the_highest_actuals():
    actual = np.arange(1.0, 101.0)  # the top 5 % are 96..100
    pred = actual.copy()
    pred[-5:] -= 10.0  # the spikes are missed by $10
    pred[:5] += 3.0  # misses elsewhere do not count
    assert top_share_mae(actual, pred) == pytest.approx(10.0)
    assert price_report(actual, pred)["mae"] == pytest.approx((50 + 15) / 100)


def test_negative_prices_and_nans_are_ordinary():
    actual = np.array([-20.0, 0.0, 35.0, np.nan])
    pred = np.array([-10.0, 5.0, 30.0, 40.0])
    report = price_report(actual, pred)
    assert report["mae"] == pytest.approx(20.0 / 3)
    assert report["rmse"] == pytest.approx(np.sqrt(150.0 / 3))


def test_band_report_has_coverage_pinball_width_and_no_percentage():
    y = np.array([10.0, 20.0, 30.0, 40.0])
    report = band_report(y, y - 5, y, y + 5)
    assert report["coverage_p10_p90"] == 1.0 and report["interval_width_mean"] == 10.0
    assert "interval_width_pct" not in report and report["pinball_mean"] > 0
