"""P10/P50/P90 intervals by split-conformal calibration of the point model, per local hour.

How the interval is built (`fit_interval_model`):

1. fit the point model (XGBoost, squared error) on the training rows minus the last
   `calibration_days` (365 by default: every season once);
2. predict that calibration window and take, per local hour of day, the 10th and 90th
   percentiles of the RELATIVE residual `actual / prediction - 1`;
3. refit the point model on all training rows; P50 is its prediction, and
   P10 = P50 * (1 + q10[hour]), P90 = P50 * (1 + q90[hour]).

Relative (multiplicative) residuals because the error grows with the load level: a fixed band in
MW would be too wide on a spring night and too narrow on a July afternoon. Per hour because the
day-ahead error grows with lead time and is largest around the evening peak. The calibration
window's weather features carry the same forecast-sized error as production, so the band covers
the weather forecast's miss as well as the load model's.

`LoadIntervalModel.predict` returns P50, so the gate, the drift monitor, MLflow's signature and
its pyfunc keep seeing a plain regressor; `predict_quantiles(model, X)` is what issuing calls.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import xgboost
from sklearn.base import BaseEstimator, RegressorMixin

from gridflow.errors import InsufficientDataError
from gridflow.forecast.model import fit_xgb_regressor

P10, P50, P90 = "p10", "p50", "p90"
QUANTILE_COLUMNS = [P10, P50, P90]
LOWER_Q, UPPER_Q = 0.10, 0.90
HOUR_COLUMN = "hour"
CALIBRATION_DAYS = 365
_MIN_CALIBRATION_ROWS_PER_HOUR = 30  # below that an hour takes the all-hours quantile


class LoadIntervalModel(RegressorMixin, BaseEstimator):
    """An XGBoost booster plus per-hour relative residual quantiles; `predict` returns P50."""

    def __init__(
        self,
        booster: xgboost.Booster | None = None,
        feature_names: Sequence[str] = (),
        q_low: Sequence[float] = (),
        q_high: Sequence[float] = (),
        hour_column: str = HOUR_COLUMN,
    ) -> None:
        self.booster = booster
        self.feature_names = feature_names
        self.q_low = q_low
        self.q_high = q_high
        self.hour_column = hour_column

    def predict(self, X: Any) -> np.ndarray:
        """P50 (the point forecast) per row, float64."""
        if isinstance(X, pd.DataFrame) and list(X.columns) != list(self.feature_names):
            X = X[list(self.feature_names)]
        return np.asarray(self.booster.inplace_predict(X), dtype="float64")

    def predict_quantiles(self, X: pd.DataFrame) -> pd.DataFrame:
        """P10, P50, P90 per row of X (index kept), ordered p10 <= p50 <= p90."""
        p50 = self.predict(X)
        lo, hi = self._band(X)
        return _ordered(p50 * (1.0 + lo), p50, p50 * (1.0 + hi), X.index)

    def _band(self, X: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        q_low, q_high = np.asarray(self.q_low, dtype="float64"), np.asarray(self.q_high, dtype="float64")
        if len(q_low) == 24 and self.hour_column in X.columns:
            hour = pd.to_numeric(X[self.hour_column], errors="coerce").to_numpy(dtype="float64")
            # A missing hour (never on a real feature row) takes the widest band, not a crash.
            ok = np.isfinite(hour)
            idx = np.where(ok, hour, 0).astype(np.int64) % 24
            lo = np.where(ok, q_low[idx], q_low.min())
            hi = np.where(ok, q_high[idx], q_high.max())
            return lo, hi
        return np.full(len(X), float(np.min(q_low))), np.full(len(X), float(np.max(q_high)))


def predict_quantiles(model: Any, X: pd.DataFrame) -> pd.DataFrame:
    """P10/P50/P90 (float64, p10 <= p50 <= p90, X's index) for a model from the registry.

    A `LoadIntervalModel` gives its calibrated band; an older champion without intervals (a plain
    XGBRegressor or a pyfunc) gives p10 = p50 = p90 = its prediction: a zero-width band says
    "no interval" rather than inventing one.
    """
    if hasattr(model, "predict_quantiles"):
        out = model.predict_quantiles(X)
        return _ordered(out[P10].to_numpy(), out[P50].to_numpy(), out[P90].to_numpy(), X.index)
    p = np.asarray(model.predict(X), dtype="float64").reshape(-1)
    return _ordered(p, p, p, X.index)


def _ordered(p10: np.ndarray, p50: np.ndarray, p90: np.ndarray, index: pd.Index) -> pd.DataFrame:
    p10, p50, p90 = (np.asarray(a, dtype="float64") for a in (p10, p50, p90))
    # fmin/fmax keep a NaN prediction NaN in all three instead of mixing it with the band.
    return pd.DataFrame(
        {P10: np.where(np.isnan(p50), np.nan, np.fmin(p10, p50)), P50: p50,
         P90: np.where(np.isnan(p50), np.nan, np.fmax(p90, p50))},
        index=index,
    )


def relative_residual_quantiles(
    y: np.ndarray, pred: np.ndarray, hour: np.ndarray, lower: float = LOWER_Q, upper: float = UPPER_Q
) -> tuple[list[float], list[float]]:
    """Per local hour 0..23, the `lower` and `upper` quantiles of actual / prediction - 1."""
    y, pred = np.asarray(y, dtype="float64"), np.asarray(pred, dtype="float64")
    hour = np.asarray(hour, dtype="float64")
    ok = np.isfinite(y) & np.isfinite(pred) & (pred > 0) & np.isfinite(hour)
    if ok.sum() < 24 * _MIN_CALIBRATION_ROWS_PER_HOUR:
        raise InsufficientDataError(f"{int(ok.sum())} calibration rows: too few to calibrate an interval")
    rel = y[ok] / pred[ok] - 1.0
    h = hour[ok].astype(np.int64) % 24
    all_lo, all_hi = np.quantile(rel, [lower, upper])
    q_low, q_high = [], []
    for k in range(24):
        r = rel[h == k]
        lo, hi = np.quantile(r, [lower, upper]) if len(r) >= _MIN_CALIBRATION_ROWS_PER_HOUR else (all_lo, all_hi)
        q_low.append(float(min(lo, 0.0)))
        q_high.append(float(max(hi, 0.0)))
    return q_low, q_high


def fit_interval_model(
    X: pd.DataFrame,
    y: Any,
    local_start: Any,
    params: dict | None = None,
    calibration_days: int = CALIBRATION_DAYS,
    seed: int = 0,
) -> tuple[LoadIntervalModel, dict[str, float]]:
    """Conformal P10/P50/P90 model (see the module doc) and facts about its calibration.

    `local_start` is each row's local interval start (the calibration window is the last
    `calibration_days` local days of the training rows). Returns the model and
    `calibration_rows`, `calibration_coverage` (share of the calibration window inside its own
    band, ~0.8 by construction), `calibration_fit_seconds`.
    """
    y = np.asarray(y, dtype="float64")
    local = pd.DatetimeIndex(local_start)
    known = np.isfinite(y)
    if not known.any():
        raise InsufficientDataError("no training rows with a known target")
    cut = local[known].max().normalize() - pd.Timedelta(days=calibration_days - 1)
    cal = np.asarray(local >= cut) & known
    fit_rows = np.asarray(local < cut) & known
    if fit_rows.sum() < cal.sum():
        raise InsufficientDataError(
            f"{int(fit_rows.sum())} rows before the {calibration_days}-day calibration window: "
            "too little history to calibrate an interval"
        )
    started = time.perf_counter()
    first = fit_xgb_regressor(X.loc[fit_rows], y[fit_rows], params, seed=seed)
    cal_pred = np.asarray(first.predict(X.loc[cal]), dtype="float64")
    q_low, q_high = relative_residual_quantiles(y[cal], cal_pred, X.loc[cal, HOUR_COLUMN].to_numpy())
    cal_seconds = time.perf_counter() - started
    final = fit_xgb_regressor(X.loc[known], y[known], params, seed=seed)
    model = LoadIntervalModel(final.get_booster(), list(X.columns), q_low, q_high)
    lo = cal_pred * (1 + np.asarray(q_low)[X.loc[cal, HOUR_COLUMN].to_numpy().astype(int) % 24])
    hi = cal_pred * (1 + np.asarray(q_high)[X.loc[cal, HOUR_COLUMN].to_numpy().astype(int) % 24])
    inside = (y[cal] >= lo) & (y[cal] <= hi)
    return model, {
        "calibration_rows": float(cal.sum()),
        "calibration_coverage": float(inside.mean()),
        "calibration_fit_seconds": round(cal_seconds, 3),
    }
