"""Per-meter statistics for each target day, from the readings known at its issue time only.

For target day d the freshest complete day known is d - `known_lag_days` (gridflow.consumption.
issue_features explains the lag); every statistic reads that day and the days before it, never
later. A meter that joined recently gets statistics over the days it has: nothing is padded, and
`known_days` / `history_days` tell the model how much there was.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gridflow.consumption.day_grid import DayGrid


@dataclass(frozen=True, eq=False)
class KnownStats:
    """Statistics per (meter, target day) and the half-hour profile per (meter, target day, slot)."""

    mean: np.ndarray  # [meter, day] mean kWh per half-hour over the trailing window
    std: np.ndarray  # [meter, day]
    weekday_weekend_ratio: np.ndarray  # [meter, day] weekday mean / weekend mean over the window
    mean_all: np.ndarray  # [meter, day] mean over all known history
    known_days: np.ndarray  # [meter, day] days with a reading in the trailing window
    history_days: np.ndarray  # [meter, day] days with a reading in all known history
    last_day_mean: np.ndarray  # [meter, day] mean of the last known day
    profile: np.ndarray  # [meter, day, slot] mean of each half-hour over the trailing window


def _cumulative(values: np.ndarray) -> np.ndarray:
    """Cumulative sums along the day axis (axis 1) with a leading zero day."""
    pad = [(0, 0)] * values.ndim
    pad[1] = (1, 0)
    return np.pad(np.cumsum(values, axis=1), pad)


def _window(cum: np.ndarray, hi: np.ndarray, lo: np.ndarray) -> np.ndarray:
    return cum[:, hi] - cum[:, lo]


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)


def known_stats(grid: DayGrid, known_lag_days: int, window_days: int) -> KnownStats:
    """The statistics of every (meter, day) of `grid` as known when that day's forecast is issued."""
    values = grid.values
    seen = np.isfinite(values)
    v = np.where(seen, values, 0.0)
    n_days = grid.n_days
    last_known = np.arange(n_days) - known_lag_days
    hi = np.clip(last_known + 1, 0, n_days)  # exclusive end on the padded cumulative axis
    lo = np.clip(last_known + 1 - window_days, 0, n_days)
    start = np.zeros(n_days, dtype="int64")

    slot_sum, slot_n = _cumulative(v), _cumulative(seen.astype("float64"))
    day_sum, day_n = v.sum(axis=2), seen.sum(axis=2).astype("float64")
    day_sq = (v * v).sum(axis=2)
    weekend = (grid.day_of(np.arange(n_days)).dayofweek >= 5)[None, :]
    c_sum, c_n, c_sq = _cumulative(day_sum), _cumulative(day_n), _cumulative(day_sq)
    c_we_sum, c_we_n = _cumulative(day_sum * weekend), _cumulative(day_n * weekend)
    c_has = _cumulative((day_n > 0).astype("float64"))

    n = _window(c_n, hi, lo)
    mean = _ratio(_window(c_sum, hi, lo), n)
    var = _ratio(_window(c_sq, hi, lo), n) - mean**2
    we_sum, we_n = _window(c_we_sum, hi, lo), _window(c_we_n, hi, lo)
    wd_mean = _ratio(_window(c_sum, hi, lo) - we_sum, n - we_n)
    we_mean = _ratio(we_sum, we_n)
    last = np.clip(last_known, 0, n_days - 1)
    last_day_mean = np.where(last_known >= 0, _ratio(day_sum, day_n)[:, last], np.nan)
    return KnownStats(
        mean=mean,
        std=np.sqrt(np.clip(var, 0, None)),
        weekday_weekend_ratio=_ratio(wd_mean, we_mean),
        mean_all=_ratio(_window(c_sum, hi, start), _window(c_n, hi, start)),
        known_days=_window(c_has, hi, lo),
        history_days=_window(c_has, hi, start),
        last_day_mean=last_day_mean,
        profile=_ratio(_window(slot_sum, hi, lo), _window(slot_n, hi, lo)),
    )
