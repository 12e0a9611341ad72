"""Holdout and rolling-origin splits by target time."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gridflow.errors import InsufficientDataError
from gridflow.forecast.split import rolling_origins, time_holdout
from gridflow.frames import INTERVAL_START_LOCAL, INTERVAL_START_UTC


@pytest.fixture(scope="module")
def frame(make_load) -> pd.DataFrame:
    return make_load("A", "2021-01-01", "2021-03-01").sample(frac=1.0, random_state=0)


def test_time_holdout_splits_at_local_midnight(frame):
    start = pd.Timestamp("2021-02-01", tz="America/New_York")
    train, test = time_holdout(frame, start)
    assert len(train) + len(test) == len(frame)
    assert (frame[INTERVAL_START_UTC].iloc[train] < start).all()
    assert (frame[INTERVAL_START_UTC].iloc[test] >= start).all()
    assert frame[INTERVAL_START_LOCAL].iloc[test].min() == pd.Timestamp("2021-02-01 00:00")


def test_time_holdout_refuses_naive_or_empty_sides(frame):
    with pytest.raises(ValueError, match="timezone-aware"):
        time_holdout(frame, pd.Timestamp("2021-02-01"))
    with pytest.raises(InsufficientDataError):
        time_holdout(frame, pd.Timestamp("2030-01-01", tz="UTC"))


def test_rolling_origins_are_whole_days_back_to_back_without_overlap(frame):
    folds = list(rolling_origins(frame, n_folds=3, test_days=7, step_days=7))
    assert len(folds) == 3
    local = frame[INTERVAL_START_LOCAL]
    previous_stop = None
    for train, test in folds:
        assert len(np.intersect1d(train, test)) == 0
        assert local.iloc[train].max() < local.iloc[test].min()
        days = local.iloc[test].dt.normalize()
        assert days.nunique() == 7 and (local.iloc[test].dt.hour.value_counts() == 7).all()
        if previous_stop is not None:
            assert days.min() == previous_stop
        previous_stop = days.max() + pd.Timedelta(days=1)
        # Expanding window: every row before the origin is used for training.
        assert len(train) == int((local < days.min()).sum())
    assert local.iloc[folds[-1][1]].max() == local.max()


def test_too_many_folds_is_insufficient_data(frame):
    with pytest.raises(InsufficientDataError, match="fold 0"):
        list(rolling_origins(frame, n_folds=20, test_days=7, step_days=7))
