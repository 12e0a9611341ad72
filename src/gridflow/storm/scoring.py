"""The outage model (XGBoost + probability calibration) and chunked scoring of many assets.

`OutageRiskModel` is a small scikit-learn-compatible classifier whose `predict` returns the
calibrated outage PROBABILITY, not a 0/1 label: the generic retrain flow scores every use case with
`model.predict(X)`, and MLflow's sklearn pyfunc calls `predict` too, so both get probabilities
without a custom pyfunc. `predict_proba` keeps the usual two-column scikit-learn form.

Scoring goes through the booster's `inplace_predict` (no DMatrix copy, the fastest XGBoost path) in
chunks of `score_chunk_rows`, then a piecewise-linear (isotonic) or logistic (Platt) calibration
map applied with numpy: a handful of vectorised operations per chunk on top of XGBoost's own cost.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import xgboost
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

from gridflow.errors import InsufficientDataError

# Isotonic calibration needs many positives to be smooth; with fewer, Platt scaling (two
# parameters) generalises better.
ISOTONIC_MIN_POSITIVES = 500
_EPS = 1e-6
PARALLEL_FIT_MIN_ROWS = 100_000
MONOTONE_INCREASING = ("max_wind_gust_mph", "max_hail_in", "vegetation_exposure", "age_years", "outages_5y")


def default_xgb_params() -> dict[str, Any]:
    """Hyper-parameters of the outage classifier: shallow trees, enough rounds for the gust curve."""
    return {
        "n_estimators": 300,
        "max_depth": 5,
        "learning_rate": 0.06,
        "subsample": 0.9,
        "colsample_bytree": 0.9,
        "min_child_weight": 5,
        "tree_method": "hist",
        "objective": "binary:logistic",
        "eval_metric": "logloss",
        "n_jobs": 2,
        # Physics, not data, says more wind, hail, canopy, age or past outages never lowers the
        # risk: the constraint keeps sparse corners of the data (few hurricanes) from saying so.
        "monotone_constraints": {name: 1 for name in MONOTONE_INCREASING},
    }


class OutageRiskModel(ClassifierMixin, BaseEstimator):
    """A fitted XGBoost booster plus a calibration map; `predict` returns P(outage)."""

    classes_ = np.array([0, 1])

    def __init__(self, booster: xgboost.Booster | None = None, feature_names: Sequence[str] = (),
                 method: str = "none", calibration: dict[str, list[float]] | None = None) -> None:
        self.booster = booster
        self.feature_names = feature_names
        self.method = method
        self.calibration = calibration

    def raw_probability(self, X: Any) -> np.ndarray:
        """The booster's uncalibrated probability for each row of X (columns as `feature_names`)."""
        if isinstance(X, pd.DataFrame) and list(X.columns) != list(self.feature_names):
            X = X[list(self.feature_names)]
        return np.asarray(self.booster.inplace_predict(X), dtype="float64")

    def calibrate(self, raw: np.ndarray) -> np.ndarray:
        """Map raw booster probabilities through the calibration fitted on held-out storms."""
        cal = self.calibration or {}
        if self.method == "isotonic":
            return np.interp(raw, cal["x"], cal["y"])
        if self.method == "sigmoid":
            z = np.log(np.clip(raw, _EPS, 1 - _EPS))
            z -= np.log1p(-np.clip(raw, _EPS, 1 - _EPS))
            z *= cal["a"][0]
            z += cal["b"][0]
            return 1.0 / (1.0 + np.exp(-z))
        return raw

    def predict(self, X: Any) -> np.ndarray:
        """Calibrated outage probability per row (what the retrain flow and the pyfunc serve)."""
        return self.calibrate(self.raw_probability(X))

    def predict_proba(self, X: Any) -> np.ndarray:
        """scikit-learn form: columns P(no outage), P(outage)."""
        p = self.predict(X)
        return np.column_stack([1.0 - p, p])


def fit_outage_model(
    X: pd.DataFrame, y: Any, storm_ids: Any, params: dict[str, Any] | None = None, folds: int = 5,
    seed: int = 0,
) -> OutageRiskModel:
    """Fit XGBoost on every training row, calibrated on out-of-fold predictions across storms.

    Storms go to `folds` folds (round robin in the given order, so each fold spans the years); a
    booster fitted without fold k predicts fold k, and the calibration map is fitted on those
    out-of-fold predictions of all storms (scikit-learn's CalibratedClassifierCV(ensemble=False)
    scheme, with folds by storm). Why by storm: outcomes within a storm share its unobserved
    severity, so a map fitted on a few held-out storms learns their luck — measured here, it
    doubled the expected outage counts of the next storms. The final booster learns from all rows.
    """
    y = np.asarray(y, dtype="float64")
    if len(y) == 0 or y.sum() == 0:
        raise InsufficientDataError("no failures among the training storms: nothing to learn")
    settings = {**default_xgb_params(), **(params or {}), "random_state": seed}
    threads = settings.get("n_jobs")
    if len(y) < PARALLEL_FIT_MIN_ROWS:
        # Small fits: thread start-up and OpenMP spinning cost more than the work (12k rows on a
        # busy 2-core machine: 2.5 s with 2 threads, 0.2 s with 1).
        settings["n_jobs"] = 1
    storms = pd.Series(np.asarray(storm_ids))
    order = {storm: i for i, storm in enumerate(storms.drop_duplicates())}
    folds = min(folds, len(order))
    fold = storms.map(order).to_numpy() % max(folds, 1)
    raw = np.full(len(y), np.nan)
    if folds >= 2:
        for k in range(folds):
            out = fold == k
            if y[~out].sum() == 0:
                continue  # nothing to learn without this fold: its storms stay uncalibrated
            booster = xgboost.XGBClassifier(**settings).fit(X[~out], y[~out]).get_booster()
            raw[out] = OutageRiskModel(booster, list(X.columns)).raw_probability(X[out])
    final = xgboost.XGBClassifier(**settings).fit(X, y).get_booster()
    if threads is not None:
        final.set_param({"nthread": threads})  # scoring a million assets is worth the threads
    model = OutageRiskModel(final, list(X.columns), method="none")
    known = ~np.isnan(raw)
    if not known.any() or y[known].sum() == 0 or y[known].sum() == known.sum():
        return model  # nothing to calibrate against: the booster's own probabilities
    method, calibration = choose_calibration(raw[known], y[known], fold[known])
    model.method, model.calibration = method, calibration
    return model


def fit_calibration(raw: np.ndarray, y: np.ndarray, method: str) -> dict[str, list[float]] | None:
    """The calibration map of `method` (isotonic, sigmoid or none) fitted on raw probabilities."""
    if method == "isotonic":
        iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(raw, y)
        return {"x": iso.X_thresholds_.tolist(), "y": iso.y_thresholds_.tolist()}
    if method == "sigmoid":
        p = np.clip(raw, _EPS, 1 - _EPS)
        logit = np.log(p) - np.log1p(-p)
        platt = LogisticRegression(C=1e6).fit(logit.reshape(-1, 1), y)
        return {"a": [float(platt.coef_[0, 0])], "b": [float(platt.intercept_[0])]}
    return None


def choose_calibration(raw: np.ndarray, y: np.ndarray, fold: np.ndarray) -> tuple[str, dict | None]:
    """The calibration (none, sigmoid, isotonic) with the lowest log loss on folds it was not
    fitted on, then refitted on all out-of-fold predictions.

    A map is kept only when it helps out of sample: with outcomes clustered by storm, a map can
    fit the calibration storms' luck, and a logistic booster is often calibrated already.
    """
    candidates = ["none", "sigmoid"] + (["isotonic"] if y.sum() >= ISOTONIC_MIN_POSITIVES else [])
    folds = np.unique(fold)
    losses = {}
    for method in candidates:
        p = raw.copy()
        for k in folds:
            inside = fold == k
            if method == "none" or y[~inside].sum() == 0 or y[~inside].sum() == (~inside).sum():
                continue
            fitted = OutageRiskModel(method=method, calibration=fit_calibration(raw[~inside], y[~inside], method))
            p[inside] = fitted.calibrate(raw[inside])
        p = np.clip(p, _EPS, 1 - _EPS)
        losses[method] = float(-np.mean(y * np.log(p) + (1 - y) * np.log1p(-p)))
    # Ties go to the simpler map (candidates are in order of complexity).
    best = min(candidates, key=lambda m: (round(losses[m], 9), candidates.index(m)))
    return best, fit_calibration(raw, y, best)


def with_threads(model: Any, threads: int) -> Any:
    """`model` itself if it scores with at most `threads` threads, else a copy that does (the
    original may be shared by tasks on other threads); models other than `OutageRiskModel` as is."""
    if not isinstance(model, OutageRiskModel) or not isinstance(model.booster, xgboost.Booster):
        return model
    # The booster's own nthread (fit sets it) wins over OMP_NUM_THREADS; 0 means every core.
    current = int(json.loads(model.booster.save_config())["learner"]["generic_param"].get("nthread", 0))
    if 0 < current <= threads:
        return model
    capped = copy.copy(model)
    capped.booster = model.booster.copy()
    capped.booster.set_param({"nthread": max(1, threads)})
    return capped


def score_frame(model: Any, features: pd.DataFrame, chunk_rows: int = 250_000) -> np.ndarray:
    """Outage probability for every row of `features`, scored `chunk_rows` at a time.

    Chunks bound the scorer's working memory (XGBoost's per-call buffers) on a million-asset
    alert; `model` is anything whose `predict` returns probabilities (an `OutageRiskModel` loaded
    natively, or a pyfunc).
    """
    if chunk_rows < 1:
        raise ValueError(f"chunk_rows must be positive, got {chunk_rows}")
    n = len(features)
    out = np.empty(n, dtype="float64")
    for start in range(0, n, chunk_rows):
        stop = min(start + chunk_rows, n)
        out[start:stop] = np.asarray(model.predict(features.iloc[start:stop]), dtype="float64").reshape(-1)
    return out
