"""What a fitted model leans on: its features' importance, read from the estimator it wraps."""

from __future__ import annotations

from typing import Any

import pandas as pd


def feature_importance(model: Any, columns: list[str]) -> pd.Series | None:
    """Total gain per feature (every name in `columns`, 0 for an unused one) of an XGBoost model
    (a booster, a gridflow estimator holding one, or a scikit-learn wrapper), else a scikit-learn
    `feature_importances_`; None when the model exposes neither."""
    booster = getattr(model, "booster", None)
    if booster is None and hasattr(model, "get_booster"):
        booster = model.get_booster()
    if booster is not None and hasattr(booster, "get_score"):
        gains = booster.get_score(importance_type="total_gain")
        return pd.Series({c: float(gains.get(c, 0.0)) for c in columns}, name="total_gain", dtype="float64")
    values = getattr(model, "feature_importances_", None)
    if values is not None and len(values) == len(columns):
        return pd.Series(list(map(float, values)), index=columns, name="importance", dtype="float64")
    return None
