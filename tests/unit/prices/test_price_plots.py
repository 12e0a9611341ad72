"""MAE by hour of the price figures on a hand-made frame: each hour's error is known."""

from __future__ import annotations

import numpy as np
import pandas as pd

from gridflow.prices.plots import BASELINE, error_by_hour, last_weeks, mae_by_hour


def frame() -> pd.DataFrame:
    local = pd.date_range("2022-03-01", periods=20 * 24, freq="h")
    target = np.full(len(local), 50.0)
    return pd.DataFrame({"interval_start_local": local, "target": target, "p10": target - 10,
                         "p50": target + local.hour, BASELINE: target - 2 * local.hour, "p90": target + 10})


def test_mae_by_hour_is_per_local_hour_for_model_and_baseline():
    by_hour = mae_by_hour(frame())
    np.testing.assert_allclose(by_hour["p50"], np.arange(24))
    np.testing.assert_allclose(by_hour[BASELINE], 2 * np.arange(24))


def test_figures_draw_the_last_two_weeks_and_the_hours():
    rows = frame()
    last = last_weeks(rows, "t", "same hour D-1").axes[0]
    shown = pd.to_datetime(last.get_lines()[0].get_xdata())
    assert shown.min() == pd.Timestamp("2022-03-07") and len(shown) == 14 * 24
    assert len(error_by_hour(rows, "t", "same hour D-1").axes[0].patches) == 48
