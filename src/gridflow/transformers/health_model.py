"""The `transformer_health` model's pure parts: features, the estimator switch, metrics, the
holdout by reading id and the repeated K-fold evaluation with its confidence interval.

Direction of the scale: in the shipped data the health index RISES as a unit deteriorates (its
Spearman correlation with life expectation is -0.64, with acetylene +0.43; the median unit scores
13.4). "Needs attention" is therefore a health index AT OR ABOVE the threshold.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from gridflow.transformers.dga_baseline import dga_health_score, tdcg

TARGET = "health_index"
BASELINE = "dga_baseline"
# Measurements only: `life_expectation` is graded together with the health index by the same
# assessment (a second answer, not an input), so it never feeds the model.
MEASURED = [
    "hydrogen_ppm", "oxygen_ppm", "nitrogen_ppm", "methane_ppm", "co_ppm", "co2_ppm", "ethylene_ppm",
    "ethane_ppm", "acetylene_ppm", "dbds", "power_factor", "interfacial_v", "dielectric_rigidity",
    "water_content",
]
FEATURE_COLUMNS = [*MEASURED, "tdcg_ppm"]
ESTIMATORS = ("random_forest", "xgboost")


def build_features(raw: pd.DataFrame) -> pd.DataFrame:
    """Model inputs (`FEATURE_COLUMNS`) with TDCG added, the target and the DGA rule's score, per reading."""
    feats = raw.loc[:, MEASURED].astype("float64").reset_index(drop=True)
    feats["tdcg_ppm"] = tdcg(feats)
    feats[TARGET] = raw[TARGET].to_numpy(dtype="float64")
    feats[BASELINE] = dga_health_score(feats)
    return feats


def default_params(estimator: str) -> dict[str, Any]:
    """Hyper-parameters of each estimator, sized for a few hundred units on 2 cores."""
    if estimator == "random_forest":
        # As in the users' documents: scikit-learn's forest of deep trees on bootstrap samples,
        # half the features per split; leaves of 2 units smooth a target graded in steps.
        return {"n_estimators": 300, "max_features": 0.5, "min_samples_leaf": 2, "random_state": 0, "n_jobs": 2}
    if estimator == "xgboost":
        # Shallow, slow and subsampled: 470 rows over-fit a deep booster at once.
        return {"n_estimators": 400, "max_depth": 3, "learning_rate": 0.03, "subsample": 0.8,
                "colsample_bytree": 0.8, "min_child_weight": 3, "tree_method": "hist", "random_state": 0,
                "n_jobs": 2}
    raise ValueError(f"unknown estimator {estimator!r}; known: {', '.join(ESTIMATORS)}")


def make_estimator(estimator: str, overrides: dict[str, Any] | None = None) -> Any:
    """An unfitted regressor of kind `estimator` with its defaults updated by `overrides`."""
    params = {**default_params(estimator), **(overrides or {})}
    if estimator == "random_forest":
        from sklearn.ensemble import RandomForestRegressor

        return RandomForestRegressor(**params)
    from xgboost import XGBRegressor

    return XGBRegressor(**params)


def health_metrics(y: np.ndarray, predicted: np.ndarray, threshold: float) -> dict[str, float]:
    """MAE, RMSE, R² of the health index, and recall / precision / F1 of "needs attention"
    (health index >= `threshold`) when predictions are cut at the same threshold."""
    y = np.asarray(y, dtype="float64")
    p = np.asarray(predicted, dtype="float64")
    error = p - y
    spread = float(((y - y.mean()) ** 2).sum())
    actual, flagged = y >= threshold, p >= threshold
    hits = float((actual & flagged).sum())
    recall = hits / actual.sum() if actual.any() else math.nan
    precision = hits / flagged.sum() if flagged.any() else math.nan
    f1 = 2 * hits / (actual.sum() + flagged.sum()) if (actual.any() or flagged.any()) else math.nan
    return {
        "mae": float(np.abs(error).mean()),
        "rmse": float(np.sqrt((error**2).mean())),
        "r2": 1.0 - float((error**2).sum()) / spread if spread > 0 else math.nan,
        "attention_recall": float(recall),
        "attention_precision": float(precision),
        "attention_f1": float(f1),
        "attention_share": float(actual.mean()),
    }


def in_holdout(reading_ids: pd.Series, share: float) -> np.ndarray:
    """Whether each reading is held out: a stable hash of its id below `share`, so a reading keeps
    its side whatever the row order or the other readings loaded (the data has no dates to split by)."""
    def bucket(rid: str) -> float:
        return int(hashlib.sha256(rid.encode()).hexdigest()[:8], 16) / 16**8

    return np.array([bucket(str(r)) < share for r in reading_ids], dtype=bool)


def repeated_kfold(
    features: pd.DataFrame, fit_predict: Callable[[pd.DataFrame, pd.DataFrame], np.ndarray],
    threshold: float, repeats: int, folds: int, seed: int = 0,
) -> list[dict[str, Any]]:
    """`repeats` x `folds` cross-validation: one record per fold with the model's (`model_`) and
    the DGA rule's (`naive_`) metrics on the fold's test rows."""
    from sklearn.model_selection import RepeatedKFold

    records = []
    splitter = RepeatedKFold(n_splits=folds, n_repeats=repeats, random_state=seed)
    for i, (train_idx, test_idx) in enumerate(splitter.split(features)):
        train, test = features.iloc[train_idx], features.iloc[test_idx]
        y = test[TARGET].to_numpy(dtype="float64")
        model = health_metrics(y, fit_predict(train, test), threshold)
        naive = health_metrics(y, test[BASELINE].to_numpy(dtype="float64"), threshold)
        records.append({"repeat": i // folds + 1, "fold": i % folds + 1, "train_rows": len(train),
                        "test_rows": len(test), **{f"model_{k}": v for k, v in model.items()},
                        **{f"naive_{k}": v for k, v in naive.items()}})
    return records


def cv_interval(values: np.ndarray, test_share: float, confidence: float = 0.95) -> tuple[float, float, float]:
    """Mean of per-fold scores and its `confidence` interval, with the Nadeau & Bengio (2003)
    corrected variance (1/J + n_test/n_train) s²: repeated K-fold folds share training rows, so the
    plain s²/J would make the interval far too narrow."""
    from scipy import stats

    values = np.asarray(values, dtype="float64")
    values = values[np.isfinite(values)]
    if len(values) < 2:
        mean = float(values.mean()) if len(values) else math.nan
        return mean, math.nan, math.nan
    mean = float(values.mean())
    variance = (1.0 / len(values) + test_share / (1.0 - test_share)) * float(values.var(ddof=1))
    half = float(stats.t.ppf(0.5 + confidence / 2, df=len(values) - 1)) * math.sqrt(variance)
    return mean, mean - half, mean + half
