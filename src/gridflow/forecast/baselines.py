"""Reference forecasts that a model must beat to be worth shipping."""

from __future__ import annotations

import numpy as np
import pandas as pd

from gridflow.forecast.grid import HOUR_NS, HourlyGrid, to_ns
from gridflow.frames import INTERVAL_START_LOCAL, INTERVAL_START_UTC, LOAD_MW, ZONE

TARGET = "target"


def seasonal_naive(frame: pd.DataFrame, lag_hours: int = 168) -> pd.Series:
    """Load at the same local wall-clock time `lag_hours` earlier, per zone, aligned with `frame`.

    Works on a canonical load frame (`load_mw`) or a features frame (`target`); both carry
    `interval_start_local`. A repeated fall-back hour resolves to its first occurrence, a skipped
    spring-forward hour or a gap gives NaN. With the default one-week lag this is a legal
    day-ahead forecast: every lag of 39 h or more ended before a 09:00 D-1 issue time.
    """
    if lag_hours < 1:
        raise ValueError(f"lag_hours must be >= 1, got {lag_hours}")
    value_col = LOAD_MW if LOAD_MW in frame.columns else TARGET
    missing = [c for c in (ZONE, INTERVAL_START_UTC, INTERVAL_START_LOCAL, value_col) if c not in frame]
    if missing:
        raise ValueError(f"frame lacks column(s) {missing}")
    if frame.empty:
        return pd.Series(np.array([], dtype="float64"), index=frame.index, name="seasonal_naive")
    # Order by UTC so that, on a repeated wall-clock hour, the earlier (daylight) one wins.
    order = np.argsort(to_ns(frame[INTERVAL_START_UTC]), kind="stable")
    local_ns = to_ns(frame[INTERVAL_START_LOCAL])
    grid = HourlyGrid.build(
        frame[ZONE].iloc[order], local_ns[order], frame[value_col].to_numpy(dtype="float64")[order]
    )
    pos = grid.positions(local_ns[order] - lag_hours * HOUR_NS)
    pred = np.empty(len(frame))
    pred[order] = grid.gather(grid.values, pos)
    return pd.Series(pred, index=frame.index, name="seasonal_naive")
