"""Validation views: the batch as the expectation suite sees it, with derived check columns.

Great Expectations checks rows and columns; time-series completeness and "not in the future" are
properties of neighbouring rows and of the clock, so they are made into columns here.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd

from gridflow import frames as f


def load_validation_view(load: pd.DataFrame, now_utc: datetime | None = None) -> pd.DataFrame:
    """The canonical load frame plus `hours_since_previous` (per zone) and `hours_ahead_of_validation`."""
    now = pd.Timestamp(now_utc or datetime.now(UTC))
    view = load.sort_values(f.LOAD_KEY, kind="stable").reset_index(drop=True)
    step = view.groupby(f.ZONE, sort=False)[f.INTERVAL_START_UTC].diff()
    view["hours_since_previous"] = step.dt.total_seconds() / 3600.0
    view["hours_ahead_of_validation"] = (view[f.INTERVAL_START_UTC] - now).dt.total_seconds() / 3600.0
    return view
