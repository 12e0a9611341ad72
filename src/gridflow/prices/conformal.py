"""Split-conformal widening of the P10-P90 band (conformalized quantile regression, Romano, Patterson &
Candes 2019): the booster's band held 62-77 % of prices in backtests, not 80 %.

The score of a calibration row is how far its actual lies outside the band, max(q10 - y, y - q90)
(negative inside); widening both ends by the finite-sample (1 - alpha) quantile of those scores
makes the band hold >= 1 - alpha of exchangeable rows. Scores are taken in asinh space, where the
booster learns, so the widening is additive near $0 and proportional for spikes. The calibration
rows are the most recent training days, held out of a first fit; the model then refits on every
row (recency matters more for prices than the small bias of re-using the calibration days).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from gridflow.errors import InsufficientDataError
from gridflow.prices.quantile_model import PriceQuantileModel, fit_quantile_model

COVERAGE = 0.8  # P10-P90


def band_scores(y: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Nonconformity of each row in asinh space: distance of the actual outside [lo, hi] (negative inside)."""
    t = np.arcsinh(np.asarray(y, dtype="float64"))
    return np.maximum(np.arcsinh(lo) - t, t - np.arcsinh(hi))


def widening(scores: np.ndarray, coverage: float = COVERAGE) -> float:
    """The ceil((n + 1) * coverage)-th smallest score: the conformal margin for `coverage` (the
    largest score when n is too small for that rank)."""
    scores = np.sort(np.asarray(scores, dtype="float64")[np.isfinite(scores)])
    if scores.size == 0:
        raise InsufficientDataError("no calibration rows with a known price")
    rank = min(math.ceil((scores.size + 1) * coverage), scores.size)
    return float(scores[rank - 1])


def last_days(delivery_dates: pd.Series, days: int) -> np.ndarray:
    """Mask of the rows whose delivery day is among the last `days` days present."""
    dates = pd.DatetimeIndex(delivery_dates)
    return np.asarray(dates > dates.max() - pd.Timedelta(days=days))


def fit_conformalized(X: pd.DataFrame, y: Any, calibration: np.ndarray, params: dict[str, Any] | None = None,
                      coverage: float = COVERAGE) -> PriceQuantileModel:
    """Fit on the rows outside `calibration`, take the band's margin on those inside, refit on every
    row and return that model with the margin applied to its band."""
    y = np.asarray(y, dtype="float64")
    if calibration.all() or not calibration.any():
        raise InsufficientDataError(f"{int(calibration.sum())} calibration rows of {len(y)}")
    first = fit_quantile_model(X[~calibration], y[~calibration], params)
    band = first.predict_quantiles(X[calibration])
    margin = widening(band_scores(y[calibration], band["p10"].to_numpy(), band["p90"].to_numpy()), coverage)
    return replace_margin(fit_quantile_model(X, y, params), margin)


def replace_margin(model: PriceQuantileModel, margin: float) -> PriceQuantileModel:
    """`model` with its band widened by `margin` in asinh space (narrowed when negative)."""
    return PriceQuantileModel(model.booster, model.feature_names, model.quantiles, band_margin=margin)

