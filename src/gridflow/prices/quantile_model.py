"""P10/P50/P90 price forecasts from one XGBoost booster trained on the pinball loss of all three.

Prices are spiky and can be negative, so neither a squared-error point model nor a relative
(multiplicative) band fits them: the median (P50) is the MAE-optimal point forecast and is robust
to the odd $5,000 hour in training, and quantile regression gives a band whose width follows the
conditions (wide on a tight evening, narrow on a mild night) without assuming a residual shape.
One booster with a three-quantile objective (`reg:quantileerror`, `quantile_alpha`) learns the
three together.

The booster learns asinh(price), the variance-stabilising transform of the price-forecasting
literature (Uniejewski, Weron & Ziel 2018): it is linear near $0 (negative prices stay
ordinary) and logarithmic for spikes, so a week of $9,000 hours does not dominate the splits. A
quantile of asinh(price) is asinh of the price's quantile (the transform is monotone), so
sinh of the booster's outputs are the price quantiles themselves, not an approximation.

`PriceQuantileModel.predict` returns P50, so the gate, the drift monitor and MLflow's signature see
a plain regressor; `predict_quantiles` (read by gridflow.forecast.intervals.predict_quantiles)
gives the band.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import xgboost
from sklearn.base import BaseEstimator, RegressorMixin

from gridflow.errors import InsufficientDataError
from gridflow.forecast.intervals import P10, P50, P90

QUANTILES = (0.1, 0.5, 0.9)


def default_params() -> dict[str, Any]:
    """Booster settings compared on ERCOT (train 2021 / test 2022, train to 2022 / test 2025 H2): the
    quantile objective's leaf refits make each tree costly, so few, shallow trees with a high rate."""
    return {
        "n_estimators": 100,
        "max_depth": 5,
        "learning_rate": 0.1,
        "subsample": 0.8,
        "colsample_bytree": 0.8,
        "min_child_weight": 20,
        "tree_method": "hist",
        "max_bin": 64,
        "n_jobs": 2,
    }


class PriceQuantileModel(RegressorMixin, BaseEstimator):
    """An XGBoost booster with one output per quantile of `quantiles`; `predict` returns P50."""

    def __init__(self, booster: xgboost.Booster | None = None, feature_names: Sequence[str] = (),
                 quantiles: Sequence[float] = QUANTILES, band_margin: float = 0.0) -> None:
        self.booster = booster
        self.feature_names = feature_names
        self.quantiles = quantiles
        # The conformal margin (gridflow.prices.conformal), in asinh space: P10 moves down, P90 up.
        self.band_margin = band_margin

    def _raw(self, X: Any) -> np.ndarray:
        if isinstance(X, pd.DataFrame) and list(X.columns) != list(self.feature_names):
            X = X[list(self.feature_names)]
        out = np.asarray(self.booster.inplace_predict(X), dtype="float64")
        # The outputs are learnt separately and may cross: sorted, the band is a band and P50 its middle.
        out = np.sort(out.reshape(len(X), len(self.quantiles)), axis=1)
        # Versions registered before the margin existed load without the attribute.
        margin = getattr(self, "band_margin", 0.0)
        if margin:
            middle = out[:, [list(self.quantiles).index(0.5)]]
            out[:, 0] = np.minimum(out[:, 0] - margin, middle[:, 0])
            out[:, -1] = np.maximum(out[:, -1] + margin, middle[:, 0])
        return np.sinh(out)

    def predict(self, X: Any) -> np.ndarray:
        """P50 (the point forecast, $/MWh) per row, float64."""
        return self._raw(X)[:, list(self.quantiles).index(0.5)]

    def predict_quantiles(self, X: pd.DataFrame) -> pd.DataFrame:
        """P10, P50, P90 per row of X (index kept), sorted so they never cross."""
        raw = self._raw(X)
        q = list(self.quantiles)
        return pd.DataFrame({P10: raw[:, q.index(0.1)], P50: raw[:, q.index(0.5)], P90: raw[:, q.index(0.9)]},
                            index=X.index)


def fit_quantile_model(X: pd.DataFrame, y: Any, params: dict[str, Any] | None = None,
                       seed: int = 0) -> PriceQuantileModel:
    """Fit P10/P50/P90 on the rows with a known target; same data, params and seed give the same model."""
    y = np.asarray(y, dtype="float64")
    known = np.isfinite(y)
    if not known.any():
        raise InsufficientDataError("no training rows with a known price")
    settings = {**default_params(), **(params or {}), "random_state": seed,
                "objective": "reg:quantileerror", "quantile_alpha": np.asarray(QUANTILES)}
    model = xgboost.XGBRegressor(**settings)
    model.fit(X.loc[known], np.arcsinh(y[known]))
    return PriceQuantileModel(model.get_booster(), list(X.columns), QUANTILES)
