"""What issuing a day-ahead forecast needs: the target day's feature rows and the weather vintage behind them."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

WEATHER_FORECAST = "forecast"
WEATHER_NONE = "none"


@dataclass(frozen=True)
class IssueInputs:
    """Feature rows for every hour of the target local day (23, 24 or 25), as known at `issue_time_utc`.

    `frame` holds zone, interval_start_utc, interval_start_local, is_dst, issue_time_utc and the
    model's feature columns. `weather_kind` is "forecast" when a stored vintage fed the weather
    features (its site and update time are given), "none" when the zone runs without weather.
    """

    zone: str
    target_date: str  # local date, ISO
    issue_time_utc: pd.Timestamp
    frame: pd.DataFrame
    weather_kind: str = WEATHER_NONE
    weather_site: str | None = None
    weather_vintage_utc: pd.Timestamp | None = None
    notes: list[str] = field(default_factory=list)
