"""The meter batch as its expectation suite sees it: canonical columns plus derived checks."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd

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
