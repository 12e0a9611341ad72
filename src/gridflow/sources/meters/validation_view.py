"""The meter batch as its expectation suite sees it: canonical columns plus derived checks."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
from pandas.api.types import union_categoricals

from gridflow.sources.meters.frame import INTERVAL_START_LOCAL, INTERVAL_START_UTC


def meter_validation_view(frame: pd.DataFrame, now_utc: datetime | None = None) -> pd.DataFrame:
    """Adds `hours_ahead_of_validation` and `local_offset_hours` (local wall clock minus UTC)."""
    now = pd.Timestamp(now_utc or datetime.now(UTC))
    view = frame.copy(deep=False)
    utc = view[INTERVAL_START_UTC]
    view["hours_ahead_of_validation"] = (utc - now).dt.total_seconds() / 3600.0
    naive_utc = utc.dt.tz_localize(None)
    view["local_offset_hours"] = (view[INTERVAL_START_LOCAL] - naive_utc).dt.total_seconds() / 3600.0
    return view


def combined_validation_view(frames: list[pd.DataFrame], now_utc: datetime | None = None) -> pd.DataFrame:
    """The view of several canonical meter frames stacked into one batch (same columns).

    Categorical columns stay categorical: pandas would turn per-file categoricals (each file its
    own meter) into millions of Python strings, the slowest part of stacking them.
    """
    if len(frames) == 1:
        return meter_validation_view(frames[0], now_utc)
    columns = {}
    for name in frames[0].columns:
        parts = [f[name] for f in frames]
        if all(isinstance(p.dtype, pd.CategoricalDtype) for p in parts):
            columns[name] = pd.Series(union_categoricals([p.array for p in parts]), name=name)
        else:
            columns[name] = pd.concat(parts, ignore_index=True)
    return meter_validation_view(pd.DataFrame(columns), now_utc)
