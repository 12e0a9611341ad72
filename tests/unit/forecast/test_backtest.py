"""Model determinism and the rolling-origin backtest table on synthetic load."""

from __future__ import annotations

import numpy as np
import pytest

from gridflow.errors import InsufficientDataError
from gridflow.forecast.backtest import rolling_origin_backtest
from gridflow.forecast.features import build_day_ahead_features, feature_columns
from gridflow.forecast.model import fit_xgb_regressor, predict

TZ = "America/New_York"
SMALL = {"n_estimators": 30, "max_depth": 4}


@pytest.fixture(scope="module")
def features(make_load):
    return build_day_ahead_features(make_load("A", "2021-01-01", "2021-07-01"), TZ)


def test_fit_is_deterministic_and_skips_unknown_targets(features):
    X, y = features[feature_columns()], features["target"].to_numpy().copy()
    y[:100] = np.nan
    first = predict(fit_xgb_regressor(X, y, params=SMALL), X)
    second = predict(fit_xgb_regressor(X, y, params=SMALL), X)
    assert first.dtype == np.float64 and len(first) == len(X)
    np.testing.assert_array_equal(first, second)
    with pytest.raises(InsufficientDataError):
        fit_xgb_regressor(X, np.full(len(X), np.nan))


def test_backtest_has_one_row_per_fold_with_both_reports(features):
    table = rolling_origin_backtest(features, n_folds=2, test_days=14, params=SMALL)
    assert table["fold"].tolist() == [0, 1]
    for prefix in ("model", "naive"):
        for metric in ("mape", "rmse", "mae", "peak_hour_mape"):
            assert np.isfinite(table[f"{prefix}_{metric}"]).all()
    assert (table["n_test"] == 14 * 24).all()
    assert table["test_start_local"].iloc[1] > table["test_end_local"].iloc[0]
    assert (table["model_mape"] < 10).all() and (table["fit_seconds"] > 0).all()


def test_each_fold_alone_is_the_row_of_the_whole_backtest(features):
    from gridflow.forecast.backtest import backtest_fold, fold_count

    whole = rolling_origin_backtest(features, n_folds=2, test_days=14, params=SMALL)
    assert fold_count(features, 2, 14) == 2
    # Fanned out and put back in order, the folds are the same table, fit times aside.
    parts = [backtest_fold(features, k, n_folds=2, test_days=14, params=SMALL) for k in (1, 0)][::-1]
    for row, part in zip(whole.to_dict(orient="records"), parts, strict=True):
        assert {k: v for k, v in row.items() if k != "fit_seconds"} == {
            k: v for k, v in part.items() if k != "fit_seconds"}
