"""When a forecast is issued and for which hours: market-local days, their DST-aware hours, and the
information cutoff (D-1 at the configured issue hour). Pure functions of dates and a time zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd

from gridflow import frames as f


def default_target_date(now_utc: datetime | pd.Timestamp, tz: str) -> date:
    """Tomorrow in the market's time zone, seen from `now_utc` (tz-aware)."""
    now = pd.Timestamp(now_utc)
    if now.tzinfo is None:
        raise ValueError(f"now_utc={now_utc!r} is naive; pass a tz-aware time")
    return (now.tz_convert(tz) + pd.Timedelta(days=1)).date()


def parse_target_date(text: str | None, now_utc: datetime | pd.Timestamp, tz: str) -> date:
    """`text` (YYYY-MM-DD) as a date, or tomorrow in the market's time zone when None/empty."""
    if not text:
        return default_target_date(now_utc, tz)
    try:
        return date.fromisoformat(text.strip())
    except ValueError as exc:
        raise ValueError(f"target date {text!r} is not an ISO date (YYYY-MM-DD)") from exc


def issue_time_utc(target_date: date, tz: str, issue_hour_local: int) -> pd.Timestamp:
    """The information cutoff of the forecast for `target_date`: D-1 at `issue_hour_local`, in UTC."""
    # Issue hours (09:00, 10:00) never fall in a DST gap or fold in US/EU zones, so plain
    # localization is exact; raising on a nonexistent time would be the right answer elsewhere.
    local = pd.Timestamp(datetime.combine(target_date - timedelta(days=1), datetime.min.time())) + pd.Timedelta(
        hours=issue_hour_local)
    return local.tz_localize(tz, ambiguous="raise", nonexistent="raise").tz_convert("UTC")


def local_day_hours(target_date: date, tz: str) -> pd.DataFrame:
    """Every hour of the local day `target_date` (23, 24 or 25 rows): interval_start_utc,
    interval_start_local (naive wall clock) and is_dst."""
    start, end = local_day_bounds_utc(target_date, tz)
    utc = pd.date_range(start, end, freq="h", inclusive="left").as_unit("ns")
    local = utc.tz_convert(tz)
    return pd.DataFrame({
        f.INTERVAL_START_UTC: utc,
        f.INTERVAL_START_LOCAL: local.tz_localize(None),
        f.IS_DST: np.array([bool(ts.dst()) for ts in local], dtype=bool),
    })


def local_day_bounds_utc(target_date: date, tz: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """[start, end) of the local day `target_date` in UTC."""
    start = pd.Timestamp(target_date).tz_localize(tz).tz_convert("UTC")
    end = pd.Timestamp(target_date + timedelta(days=1)).tz_localize(tz).tz_convert("UTC")
    return start, end


@dataclass(frozen=True)
class IssuePlan:
    """What one run issues: the zones, the target local day, and the information cutoff."""

    zones: list[str]
    target_date: date
    issue_time_utc: pd.Timestamp
    market_tz: str


def plan_issue(configured_zones: list[str], tz: str, issue_hour_local: int, zones: list[str] | None,
               for_date: str | None, now_utc: datetime | pd.Timestamp) -> IssuePlan:
    """The run's plan: `zones` (default: the configured ones, order kept, duplicates dropped) for
    `for_date` (default: tomorrow in `tz`), issued as of D-1 at `issue_hour_local`."""
    chosen = list(dict.fromkeys(zones or configured_zones))
    if not chosen:
        raise ValueError("no zone to issue: configure GRIDFLOW_LOAD_FORECAST__ZONES or pass zones")
    target = parse_target_date(for_date, now_utc, tz)
    return IssuePlan(chosen, target, issue_time_utc(target, tz, issue_hour_local), tz)
