"""Rolling-origin backtest of the day-ahead model against the seasonal naive baseline."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from gridflow.forecast.baselines import seasonal_naive
from gridflow.forecast.features import TARGET, feature_columns
from gridflow.forecast.metrics import regression_report
from gridflow.forecast.model import fit_xgb_regressor, predict
from gridflow.forecast.split import rolling_origins
from gridflow.frames import INTERVAL_START_LOCAL, ZONE


def evaluate(frame: pd.DataFrame, model_pred: np.ndarray, naive_pred: np.ndarray) -> dict[str, float]:
    """Model and naive metrics (`model_*`, `naive_*`) on the rows where actual and naive are known.

    Scoring both on the same rows keeps the comparison fair; the naive lacks a value only where
    its week-old hour is missing (gaps, spring-forward), about 0.1 % of PJME.
    """
    y = frame[TARGET].to_numpy(dtype="float64")
    rows = np.isfinite(y) & np.isfinite(naive_pred)
    day = pd.DatetimeIndex(frame[INTERVAL_START_LOCAL]).normalize()[rows]
    zone = frame[ZONE].to_numpy()[rows]
    out = {"n_scored": float(rows.sum())}
    for name, pred in (("model", model_pred), ("naive", naive_pred)):
        report = regression_report(y[rows], pred[rows], day, zone)
        out.update({f"{name}_{k}": v for k, v in report.items()})
    return out


def rolling_origin_backtest(
    features: pd.DataFrame, n_folds: int = 4, test_days: int = 91, params: dict | None = None,
    columns: list[str] | None = None,
) -> pd.DataFrame:
    """One row per fold (oldest first): dates, sizes, fit seconds, model and naive metrics.

    `columns` are the model inputs (default: the calendar and load features)."""
    folds = rolling_origins(features, n_folds=n_folds, test_days=test_days, step_days=test_days)
    naive = seasonal_naive(features).to_numpy()  # once for every fold
    return pd.DataFrame([_fold_row(features, naive, k, train_idx, test_idx, params, columns)
                         for k, (train_idx, test_idx) in enumerate(folds)])


def fold_count(features: pd.DataFrame, n_folds: int, test_days: int) -> int:
    """How many folds the backtest has on these rows (InsufficientDataError when one would be empty)."""
    return len(list(rolling_origins(features, n_folds=n_folds, test_days=test_days, step_days=test_days)))


def backtest_fold(
    features: pd.DataFrame, fold: int, n_folds: int = 4, test_days: int = 91, params: dict | None = None,
    columns: list[str] | None = None,
) -> dict:
    """Fold `fold` of `rolling_origin_backtest`, alone: the row it would hold (folds are independent,
    so they can run in parallel and be put back in order)."""
    folds = list(rolling_origins(features, n_folds=n_folds, test_days=test_days, step_days=test_days))
    train_idx, test_idx = folds[fold]
    return _fold_row(features, seasonal_naive(features).to_numpy(), fold, train_idx, test_idx, params, columns)


def _fold_row(features: pd.DataFrame, naive: np.ndarray, k: int, train_idx: np.ndarray, test_idx: np.ndarray,
              params: dict | None, columns: list[str] | None) -> dict:
    cols = list(columns) if columns is not None else feature_columns()
    train, test = features.iloc[train_idx], features.iloc[test_idx]
    started = time.perf_counter()
    model = fit_xgb_regressor(train[cols], train[TARGET], params=params)
    fit_seconds = time.perf_counter() - started
    local = pd.DatetimeIndex(test[INTERVAL_START_LOCAL])
    return {
        "fold": k,
        "test_start_local": local.min(),
        "test_end_local": local.max(),
        "n_train": int(train[TARGET].notna().sum()),
        "n_test": int(test[TARGET].notna().sum()),
        "fit_seconds": fit_seconds,
        **evaluate(test, predict(model, test[cols]), naive[test_idx]),
    }
