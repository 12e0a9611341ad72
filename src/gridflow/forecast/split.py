"""Train/test splits by target time.

Features from `build_day_ahead_features` only use load that ended by each target's issue time, so
a test target's features never contain a test-period actual it could not have known. Splitting by
target time with no overlap is therefore enough: no extra gap or embargo between train and test.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd

from gridflow.errors import InsufficientDataError
from gridflow.frames import INTERVAL_START_LOCAL, INTERVAL_START_UTC


def time_holdout(frame: pd.DataFrame, holdout_start: pd.Timestamp) -> tuple[np.ndarray, np.ndarray]:
    """Positional (train, test) indices: targets starting before / at-or-after a tz-aware instant.

    Pass e.g. `pd.Timestamp("2015-01-01", tz="America/New_York")` to split at local midnight.
    """
    holdout_start = pd.Timestamp(holdout_start)
    if holdout_start.tz is None:
        raise ValueError("holdout_start must be timezone-aware (local midnight or UTC: say which)")
    starts = pd.DatetimeIndex(frame[INTERVAL_START_UTC])
    test = np.asarray(starts >= holdout_start.tz_convert("UTC"))
    train_idx, test_idx = np.flatnonzero(~test), np.flatnonzero(test)
    if len(train_idx) == 0 or len(test_idx) == 0:
        raise InsufficientDataError(
            f"holdout at {holdout_start} leaves {len(train_idx)} training and {len(test_idx)} test rows"
        )
    return train_idx, test_idx


def rolling_origins(
    frame: pd.DataFrame, n_folds: int, test_days: int, step_days: int
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Expanding-window folds, oldest first, the last test window ending with the data.

    Fold k tests on `test_days` whole days starting at its origin and trains on every earlier
    target; origins are `step_days` apart. Days are local days when the frame has
    `interval_start_local` (as feature frames do), else UTC days.
    """
    if n_folds < 1 or test_days < 1 or step_days < 1:
        raise ValueError("n_folds, test_days and step_days must all be >= 1")
    if INTERVAL_START_LOCAL in frame.columns:
        times = pd.DatetimeIndex(frame[INTERVAL_START_LOCAL])
    else:
        times = pd.DatetimeIndex(frame[INTERVAL_START_UTC])
    if len(times) == 0:
        raise InsufficientDataError("no rows to split")
    end = times.max().normalize() + pd.Timedelta(days=1)
    for k in range(n_folds):
        origin = end - pd.Timedelta(days=test_days + (n_folds - 1 - k) * step_days)
        stop = origin + pd.Timedelta(days=test_days)
        train_idx = np.flatnonzero(np.asarray(times < origin))
        test_idx = np.flatnonzero(np.asarray((times >= origin) & (times < stop)))
        if len(train_idx) == 0 or len(test_idx) == 0:
            raise InsufficientDataError(
                f"fold {k} (test from {origin.date()}) has {len(train_idx)} training and "
                f"{len(test_idx)} test rows; use fewer folds or shorter test windows"
            )
        yield train_idx, test_idx
