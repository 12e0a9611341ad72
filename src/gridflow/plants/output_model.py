"""The `plant_output` model's pure parts: columns, features, the linear floor, metrics, and the 5x2
cross-validation (Dietterich 1998) with its paired t-test.

Rows are grouped by content (`group_of`): the source repeats 41 rows exactly, and a copy on each
side of a split would let the model score a row it has memorised. Every split keeps a group whole.
The estimator and its settings are in gridflow.plants.vacuum_model.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

TARGET = "net_output_mw"
BASELINE = "linear_baseline"
VACUUM = "exhaust_vacuum_cmhg"
INPUTS = ["ambient_temp_c", VACUUM, "ambient_pressure_mbar", "relative_humidity_pct"]
FEATURE_COLUMNS = list(INPUTS)


def group_of(reading_keys: pd.Series) -> pd.Series:
    """The content digest of each reading key (`<digest>-<n>` -> `<digest>`): identical rows share it."""
    return reading_keys.astype(str).str.rsplit("-", n=1).str[0]


def build_features(raw: pd.DataFrame) -> pd.DataFrame:
    """Model inputs (`FEATURE_COLUMNS`) and the target, one row per reading."""
    feats = raw.loc[:, INPUTS].astype("float64").reset_index(drop=True)
    feats[TARGET] = raw[TARGET].to_numpy(dtype="float64")
    return feats


def fit_linear(train: pd.DataFrame) -> Any:
    """Ordinary least squares on the four measured inputs: the literature's floor (~4.56 MW RMSE)."""
    from sklearn.linear_model import LinearRegression

    return LinearRegression().fit(train[INPUTS].to_numpy(dtype="float64"), train[TARGET].to_numpy(dtype="float64"))


def linear_predict(model: Any, rows: pd.DataFrame) -> np.ndarray:
    """The linear floor's output for `rows`, MW."""
    return np.asarray(model.predict(rows[INPUTS].to_numpy(dtype="float64")), dtype="float64")


def output_metrics(y: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    """RMSE, MAE and largest absolute error in MW, and R², of predicted net output."""
    y = np.asarray(y, dtype="float64")
    error = np.asarray(predicted, dtype="float64") - y
    spread = float(((y - y.mean()) ** 2).sum()) if len(y) else 0.0
    return {
        "rmse": float(np.sqrt((error**2).mean())),
        "mae": float(np.abs(error).mean()),
        "max_abs_error": float(np.abs(error).max()),
        "r2": 1.0 - float((error**2).sum()) / spread if spread > 0 else math.nan,
    }


def halves(groups: pd.Series, seed: int) -> np.ndarray:
    """A random half of the rows (boolean mask) made of whole groups, as near n/2 rows as groups allow."""
    codes, uniques = pd.factorize(groups)
    sizes = np.bincount(codes, minlength=len(uniques))
    order = np.random.default_rng(seed).permutation(len(uniques))
    first = np.zeros(len(uniques), dtype=bool)
    first[order[np.cumsum(sizes[order]) <= len(codes) / 2]] = True
    return first[codes]


def five_by_two(
    features: pd.DataFrame, groups: pd.Series, fit_predict: Callable[[pd.DataFrame, pd.DataFrame], np.ndarray],
    repeats: int = 5, seed: int = 0,
) -> list[dict[str, Any]]:
    """`repeats` x 2-fold CV: each repeat splits the rows in two halves (whole groups), trains on one
    and tests on the other, then the reverse. One record per fold with the model's (`model_`) and
    the linear floor's (`naive_`) metrics and the model's fit time."""
    records = []
    for repeat in range(1, repeats + 1):
        side = halves(groups.reset_index(drop=True), seed + repeat - 1)
        for fold, train_mask in ((1, side), (2, ~side)):
            train, test = features[train_mask], features[~train_mask]
            y = test[TARGET].to_numpy(dtype="float64")
            started = time.perf_counter()
            predicted = fit_predict(train, test)
            seconds = time.perf_counter() - started
            model = output_metrics(y, predicted)
            naive = output_metrics(y, linear_predict(fit_linear(train), test))
            records.append({"repeat": repeat, "fold": fold, "train_rows": len(train), "test_rows": len(test),
                            "model_fit_seconds": round(seconds, 3), **{f"model_{k}": v for k, v in model.items()},
                            **{f"naive_{k}": v for k, v in naive.items()}})
    return records


def paired_5x2_t(model: np.ndarray, naive: np.ndarray) -> tuple[float, float]:
    """Dietterich's 5x2cv paired t-test of two error columns in fold order (two folds per repeat):
    the t statistic (5 degrees of freedom for 5 repeats) and its two-sided p-value."""
    from scipy import stats

    diff = (np.asarray(model, dtype="float64") - np.asarray(naive, dtype="float64")).reshape(-1, 2)
    variance = ((diff - diff.mean(axis=1, keepdims=True)) ** 2).sum(axis=1)
    if len(diff) < 2 or variance.mean() == 0:
        return math.nan, math.nan
    t = float(diff[0, 0] / math.sqrt(variance.mean()))
    return t, float(2 * stats.t.sf(abs(t), df=len(diff)))
