"""The `plant_output` estimator: XGBoost on the four measured inputs plus a vacuum-reading offset.

The offset of an exact exhaust-vacuum reading is the mean out-of-fold residual of a plain booster
over the training hours with that reading, shrunk toward 0 by `vacuum_smoothing` pseudo-hours.
Those hours mostly share an operating period (the source records the vacuum coarsely: 634 distinct
readings), so the offset carries plant state the four inputs do not. A reading never seen in
training gets offset 0, i.e. the plain booster's view. Each training hour's own offset leaves out
its own residual (and those of identical rows), so the final booster never learns from its target.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, RegressorMixin

from gridflow.plants.output_model import INPUTS, VACUUM

VACUUM_INDEX = INPUTS.index(VACUUM)
# The plain booster whose out-of-fold residuals the offsets average: a fifth of the final one's rounds.
_INNER = {"n_estimators": 300, "learning_rate": 0.05, "max_depth": 6, "subsample": 0.8}


def default_params() -> dict[str, Any]:
    """Settings of the estimator, chosen on 5x2 CV partitions other than the reported ones (seeds
    1000-1004): the final booster's, and the vacuum offsets' shrinkage and inner folds (0 = no offsets).
    One thread: on a shared 2-core machine two OpenMP threads ran up to 10x slower."""
    return {"n_estimators": 1500, "max_depth": 6, "learning_rate": 0.02, "subsample": 0.8,
            "colsample_bytree": 0.8, "min_child_weight": 3, "max_bin": 1024, "tree_method": "hist",
            "random_state": 0, "n_jobs": 1, "vacuum_smoothing": 5.0, "vacuum_folds": 5}


def make_estimator(overrides: dict[str, Any] | None = None) -> PlantOutputModel:
    """An unfitted `PlantOutputModel` with `default_params` updated by `overrides`."""
    params = {**default_params(), **(overrides or {})}
    smoothing = float(params.pop("vacuum_smoothing"))
    folds = int(params.pop("vacuum_folds"))
    return PlantOutputModel(params=params, vacuum_smoothing=smoothing, vacuum_folds=folds)


class PlantOutputModel(RegressorMixin, BaseEstimator):
    """Net output (MW) from AT, V, AP, RH: a booster over the inputs and the vacuum-reading offset."""

    def __init__(self, params: dict[str, Any] | None = None, vacuum_smoothing: float = 5.0,
                 vacuum_folds: int = 5) -> None:
        self.params = params
        self.vacuum_smoothing = vacuum_smoothing
        self.vacuum_folds = vacuum_folds

    def fit(self, X: pd.DataFrame, y: Any) -> PlantOutputModel:
        """Fit the offsets on out-of-fold residuals (when `vacuum_folds` >= 2), then the final booster."""
        from xgboost import XGBRegressor

        inputs = _inputs(X)
        target = np.asarray(y, dtype="float64")
        groups = pd.factorize(pd.util.hash_pandas_object(pd.DataFrame(inputs), index=False))[0]
        if self.vacuum_folds >= 2:
            residual = target - self._out_of_fold(inputs, target, groups)
            offset = self._learn_offsets(inputs[:, VACUUM_INDEX], residual, groups)
        else:
            self.vacuum_values_ = self.vacuum_sums_ = self.vacuum_counts_ = np.empty(0)
            offset = np.zeros(len(target))
        model = XGBRegressor(**(self.params or {})).fit(np.column_stack([inputs, offset]), target)
        self.booster_ = model.get_booster()
        return self

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """Predicted net output (MW) per row of X (columns `INPUTS`)."""
        inputs = _inputs(X)
        design = np.column_stack([inputs, self.offsets(inputs[:, VACUUM_INDEX])])
        return np.asarray(self.booster_.inplace_predict(design), dtype="float64")

    def offsets(self, vacuum: np.ndarray) -> np.ndarray:
        """The learnt offset (MW) of each vacuum reading; 0 for a reading not seen in training."""
        vacuum = np.asarray(vacuum, dtype="float64")
        out = np.zeros(len(vacuum))
        if len(self.vacuum_values_) == 0:
            return out
        at = np.clip(np.searchsorted(self.vacuum_values_, vacuum), 0, len(self.vacuum_values_) - 1)
        found = self.vacuum_values_[at] == vacuum
        out[found] = self.vacuum_sums_[at[found]] / (self.vacuum_counts_[at[found]] + self.vacuum_smoothing)
        return out

    def _out_of_fold(self, inputs: np.ndarray, target: np.ndarray, groups: np.ndarray) -> np.ndarray:
        from xgboost import XGBRegressor

        inner = {**(self.params or {}), **_INNER}
        fold = np.random.default_rng(0).permutation(groups.max() + 1)[groups] % self.vacuum_folds
        predicted = np.empty(len(target))
        for k in range(self.vacuum_folds):
            test = fold == k
            booster = XGBRegressor(**inner).fit(inputs[~test], target[~test])
            predicted[test] = booster.predict(inputs[test])
        return predicted

    def _learn_offsets(self, vacuum: np.ndarray, residual: np.ndarray, groups: np.ndarray) -> np.ndarray:
        table, own = vacuum_table(vacuum, residual, groups, self.vacuum_smoothing)
        self.vacuum_values_, self.vacuum_sums_, self.vacuum_counts_ = table
        return own


def vacuum_table(vacuum: np.ndarray, residual: np.ndarray, groups: np.ndarray, smoothing: float
                 ) -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray], np.ndarray]:
    """The offset table (sorted readings, residual sums, counts) and each training hour's own offset,
    which leaves out its residual and those of rows identical to it (same `groups` id)."""
    table = pd.DataFrame({"v": vacuum, "r": residual}).groupby("v")["r"].agg(["sum", "count"])
    values = table.index.to_numpy(dtype="float64")
    sums, counts = table["sum"].to_numpy(dtype="float64"), table["count"].to_numpy(dtype="float64")
    mine = pd.DataFrame({"g": groups, "r": residual}).groupby("g")["r"].agg(["sum", "count"])
    at = np.searchsorted(values, vacuum)
    others = sums[at] - mine["sum"].to_numpy()[groups]
    count = counts[at] - mine["count"].to_numpy()[groups]
    return (values, sums, counts), others / (count + smoothing)


def _inputs(X: Any) -> np.ndarray:
    if isinstance(X, pd.DataFrame):
        return X.loc[:, INPUTS].to_numpy(dtype="float64")
    return np.asarray(X, dtype="float64")
