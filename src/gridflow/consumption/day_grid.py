"""Meter readings laid out as (meter, local day, half-hour slot): the index every lag and statistic reads.

Days are the meters' local calendar days and slots their local wall-clock half-hours (0 = 00:00),
so "the same half-hour a week earlier" stays the same clock time across a DST change. On the
fall-back day the repeated wall-clock hour holds the mean of its two readings; the skipped
spring-forward hour and every gap are NaN.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from gridflow.errors import InsufficientDataError
from gridflow.sources.meters.frame import INTERVAL_MINUTES, INTERVAL_START_LOCAL, KWH, METER_ID

SLOT_MINUTES = 30
SLOTS = 24 * 60 // SLOT_MINUTES  # 48 half-hours per local day


@dataclass(frozen=True, eq=False)
class DayGrid:
    """kWh per (meter, local day, slot) and where each reading of the source frame sits in it."""

    meters: np.ndarray  # meter ids, the grid's first axis
    first_day: pd.Timestamp  # local date of day index 0
    values: np.ndarray  # float64 [meter, day, slot], NaN where nothing was read
    meter_idx: np.ndarray  # per source row
    day_idx: np.ndarray  # per source row
    slot: np.ndarray  # per source row

    @property
    def n_days(self) -> int:
        """Number of local days on the grid's day axis."""
        return self.values.shape[1]

    def day_of(self, day_idx: np.ndarray) -> pd.DatetimeIndex:
        """Local dates of day indices."""
        return pd.DatetimeIndex(self.first_day + pd.to_timedelta(np.asarray(day_idx), unit="D"))


def build_day_grid(readings: pd.DataFrame) -> DayGrid:
    """The grid of a canonical meter frame of one channel with 30-minute intervals (NaN kWh: not read)."""
    if readings.empty:
        raise InsufficientDataError("no meter readings to lay out")
    minutes = set(np.unique(readings[INTERVAL_MINUTES]).tolist())
    if minutes != {SLOT_MINUTES}:
        raise InsufficientDataError(f"half-hourly readings expected; interval_minutes found: {sorted(minutes)}")
    local = pd.DatetimeIndex(readings[INTERVAL_START_LOCAL])
    days = local.normalize()
    first = days.min()
    day_idx = ((days - first) // pd.Timedelta(days=1)).to_numpy(dtype="int64")
    slot = (local.hour * 2 + local.minute // SLOT_MINUTES).to_numpy(dtype="int64")
    codes, meters = pd.factorize(readings[METER_ID].astype(str), sort=True)
    shape = (len(meters), int(day_idx.max()) + 1, SLOTS)
    flat = np.ravel_multi_index((codes, day_idx, slot), shape)
    kwh = readings[KWH].to_numpy(dtype="float64")
    read = np.isfinite(kwh)  # a NaN row is a target still to forecast, not a reading
    # Sum and count per cell: the fall-back day's repeated wall-clock half-hours average.
    size = int(np.prod(shape))
    total = np.bincount(flat[read], weights=kwh[read], minlength=size)
    count = np.bincount(flat[read], minlength=size)
    with np.errstate(invalid="ignore"):
        values = (total / np.where(count == 0, np.nan, count)).reshape(shape)
    return DayGrid(np.asarray(meters, dtype=object), pd.Timestamp(first), values, codes.astype("int64"),
                   day_idx, slot)
