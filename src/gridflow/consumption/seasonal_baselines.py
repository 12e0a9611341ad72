"""Seasonal baselines per meter: what a forecaster without a model would issue the morning before.

Both read whole weeks back (>= 7 days >= the data's arrival lag), so they are legal at issue time.
A meter without the week(s) they need (a late joiner, a gap) falls back, in order, to the same
half-hour on its last known day, its known half-hour profile, its known mean, and finally the mean
profile of the other meters on the grid (a meter with no known reading at all).
"""

from __future__ import annotations

import numpy as np

from gridflow.consumption.day_grid import DayGrid
from gridflow.consumption.meter_stats import KnownStats

WEEKS_AVERAGED = 4


def lagged(grid: DayGrid, meter: np.ndarray, day: np.ndarray, slot: np.ndarray, lag_days: int) -> np.ndarray:
    """kWh of the same meter and half-hour `lag_days` earlier (NaN before its grid or unread)."""
    back = day - lag_days
    out = grid.values[meter, np.clip(back, 0, None), slot]
    return np.where(back >= 0, out, np.nan)


def fallback(grid: DayGrid, stats: KnownStats, meter: np.ndarray, day: np.ndarray, slot: np.ndarray,
             known_lag_days: int) -> np.ndarray:
    """The chain a seasonal baseline falls back on where its own weeks are missing."""
    fleet_profile = nanmean(stats.profile, axis=0)  # [day, slot] over meters
    chain = (
        lagged(grid, meter, day, slot, known_lag_days),
        stats.profile[meter, day, slot],
        stats.mean[meter, day],
        stats.mean_all[meter, day],
        fleet_profile[day, slot],
    )
    out = np.full(len(meter), np.nan)
    for candidate in chain:
        out = np.where(np.isfinite(out), out, candidate)
    return out


def same_slot_last_week(grid: DayGrid, stats: KnownStats, meter: np.ndarray, day: np.ndarray,
                        slot: np.ndarray, known_lag_days: int) -> np.ndarray:
    """The same half-hour one week earlier, else the fallback chain."""
    week = lagged(grid, meter, day, slot, 7)
    return np.where(np.isfinite(week), week, fallback(grid, stats, meter, day, slot, known_lag_days))


def mean_of_last_weekdays(grid: DayGrid, stats: KnownStats, meter: np.ndarray, day: np.ndarray,
                          slot: np.ndarray, known_lag_days: int, weeks: int = WEEKS_AVERAGED) -> np.ndarray:
    """Mean of the same half-hour on the last `weeks` same weekdays that were read, else the fallback."""
    stack = np.vstack([lagged(grid, meter, day, slot, 7 * k) for k in range(1, weeks + 1)])
    mean = nanmean(stack, axis=0)
    return np.where(np.isfinite(mean), mean, fallback(grid, stats, meter, day, slot, known_lag_days))


def nanmean(values: np.ndarray, axis: int) -> np.ndarray:
    """Mean over `axis` ignoring NaN; NaN (without numpy's empty-slice warning) where all are NaN."""
    seen = np.isfinite(values)
    total = np.where(seen, values, 0.0).sum(axis=axis)
    n = seen.sum(axis=axis)
    return np.where(n > 0, total / np.maximum(n, 1), np.nan)
