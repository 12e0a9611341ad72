"""The gradient-boosted regressor: fixed, small, deterministic settings."""

from __future__ import annotations

import numpy as np
import pandas as pd
import xgboost

from gridflow.errors import InsufficientDataError


def default_xgb_params() -> dict:
    """Hyper-parameters tuned on PJME (train < 2015, test 2015+) for accuracy at a low fit cost."""
    return {
        "n_estimators": 400,
        "max_depth": 7,
        "learning_rate": 0.05,
        "subsample": 0.8,
        "colsample_bytree": 0.8,
        "min_child_weight": 5,
        "tree_method": "hist",
        "n_jobs": 2,
    }


def fit_xgb_regressor(
    X: pd.DataFrame, y, params: dict | None = None, seed: int = 0
) -> xgboost.XGBRegressor:
    """Fit on the rows with a known target; same data, params and seed give the same model."""
    y = np.asarray(y, dtype="float64")
    known = np.isfinite(y)
    if not known.any():
        raise InsufficientDataError("no training rows with a known target")
    settings = {**default_xgb_params(), **(params or {}), "random_state": seed}
    model = xgboost.XGBRegressor(**settings)
    model.fit(X.loc[known] if isinstance(X, pd.DataFrame) else X[known], y[known])
    return model


def predict(model: xgboost.XGBRegressor, X: pd.DataFrame) -> np.ndarray:
    """Point predictions as float64, one per row of X."""
    return np.asarray(model.predict(X), dtype="float64")
