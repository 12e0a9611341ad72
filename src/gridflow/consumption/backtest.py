"""Rolling-origin backtest of the household forecast: monthly folds before the holdout, each scored
against both per-meter seasonal baselines on the same rows.

Fold k tests one calendar month ending where the next fold (or the holdout) starts and trains on
every earlier target day; the features are built once as known at each day's issue time, so a
fold's training rows never hold a reading its test days could not have known.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gridflow.consumption import issue_features as ife
from gridflow.consumption.metrics import consumption_report
from gridflow.sources.meters.frame import INTERVAL_START_UTC, METER_ID

# Score prefixes: `naive_` is the gate's floor, so the run's `backtest_mean_naive_*` is that floor.
MODEL, FLOOR, LAST_WEEK = "model", "naive", "naive_week"


def monthly_folds(first_day: pd.Timestamp, holdout_start: pd.Timestamp, n_folds: int
                  ) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """(test start, test end exclusive) local dates of up to `n_folds` one-month folds, oldest first,
    the last ending at `holdout_start`; folds with no training day before them are dropped."""
    stops = [pd.Timestamp(holdout_start) - pd.DateOffset(months=k) for k in range(n_folds)]
    folds = [(stop - pd.DateOffset(months=1), stop) for stop in reversed(stops)]
    return [(start, stop) for start, stop in folds if start > pd.Timestamp(first_day)]


def fold_masks(target_date: pd.Series, start: pd.Timestamp, stop: pd.Timestamp) -> tuple[np.ndarray, np.ndarray]:
    """(train, test) row masks of one fold: target days before `start`, and in [start, stop)."""
    days = pd.DatetimeIndex(target_date)
    return np.asarray(days < start), np.asarray((days >= start) & (days < stop))


def fold_scores(test: pd.DataFrame, predictions: np.ndarray) -> dict[str, float]:
    """Model, floor (mean of the last 4 same weekdays) and same-half-hour-last-week scores, prefixed
    `model_`, `naive_` and `naive_week_`, on the test rows where the actual and both baselines are known."""
    y = test[ife.TARGET].to_numpy(dtype="float64")
    floor = test[ife.BASELINE_4W].to_numpy(dtype="float64")
    week = test[ife.BASELINE_WEEK].to_numpy(dtype="float64")
    # The same rows for all three: a baseline missing on a new meter's first days must not flatter it.
    rows = np.isfinite(y) & np.isfinite(floor) & np.isfinite(week)
    scored = test[rows]
    out = {"n_scored": float(rows.sum())}
    for prefix, pred in ((MODEL, np.asarray(predictions, dtype="float64")), (FLOOR, floor), (LAST_WEEK, week)):
        report = consumption_report(scored[METER_ID].to_numpy(), scored[ife.FEEDER].to_numpy(),
                                    scored[INTERVAL_START_UTC].to_numpy(), y[rows], pred[rows])
        out.update({f"{prefix}_{k}": v for k, v in report.items()})
    return out
