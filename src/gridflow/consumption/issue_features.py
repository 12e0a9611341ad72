"""Feature rows of the next-day household forecast, as known at its issue time.

The forecast of local day D is issued at `issue_hour_local` on D-1 (09:00 by default). Interval
meter data does not arrive as it is measured: meters are read overnight in batches and the data
lands in the meter data system the day after (in the NEM the MDP sends the previous day's reads
in the morning, often later), so at 09:00 on D-1 the freshest complete day is D-2. That lag is
`known_lag_days` (2: readings through the end of D-2 are known; never less, since D-1 has not
ended at issue time). Every lag and statistic below reads only days <= D - known_lag_days; the
calendar of D itself is known in advance. `information_cutoff_utc` says the instant per row.
"""

from __future__ import annotations

import holidays as holidays_lib
import numpy as np
import pandas as pd

from gridflow.consumption import seasonal_baselines as sb
from gridflow.consumption.day_grid import build_day_grid
from gridflow.consumption.meter_stats import known_stats
from gridflow.sources.meters.frame import INTERVAL_START_LOCAL, INTERVAL_START_UTC, IS_DST, KWH, METER_ID

TARGET = "target"
FEEDER = "zone"  # the feeder a meter belongs to: the fleet machinery's zone
TARGET_DATE = "target_date"  # local date D
ISSUE_TIME_UTC = "issue_time_utc"
INFORMATION_CUTOFF_UTC = "information_cutoff_utc"  # readings ending by then are known
BASELINE_WEEK = "baseline_same_slot_last_week"
BASELINE_4W = "baseline_mean_last_4_weekdays"

CALENDAR_FEATURES = ["half_hour", "weekday", "is_weekend", "is_holiday", "month", "season", IS_DST]
LOAD_FEATURES = [
    "lag_last_known_day", "last_known_day_mean", "lag_7d", "lag_14d", "same_weekday_mean_4w",
    "recent_profile", "recent_mean", "recent_std", "recent_weekday_weekend_ratio", "mean_all",
    "recent_known_days", "history_days",
]
MAX_KNOWN_LAG_DAYS = 7  # the one-week lag must stay legal


def feature_columns() -> list[str]:
    """The model's input columns, in order."""
    return [*CALENDAR_FEATURES, *LOAD_FEATURES]


def _season(month: np.ndarray) -> np.ndarray:
    # Southern hemisphere: 0 summer (DJF), 1 autumn, 2 winter, 3 spring.
    return (month % 12) // 3


def _holidays(dates: pd.DatetimeIndex, country: str, subdiv: str | None) -> np.ndarray:
    years = range(dates.min().year - 1, dates.max().year + 2)
    known = np.array(sorted(holidays_lib.country_holidays(country, subdiv=subdiv, years=years)), dtype="datetime64[D]")
    return np.isin(dates.to_numpy().astype("datetime64[D]"), known)


def issue_times(target_dates: pd.DatetimeIndex, tz: str, issue_hour_local: int, known_lag_days: int
                ) -> tuple[pd.DatetimeIndex, pd.DatetimeIndex]:
    """(issue time, information cutoff) in UTC of each local target date."""
    day_before = target_dates - pd.Timedelta(days=1)
    issue = (day_before + pd.Timedelta(hours=issue_hour_local)).tz_localize(tz, ambiguous="NaT",
                                                                            nonexistent="shift_forward")
    cutoff = (target_dates - pd.Timedelta(days=known_lag_days - 1)).tz_localize(tz, ambiguous="NaT",
                                                                                  nonexistent="shift_forward")
    return issue.tz_convert("UTC"), cutoff.tz_convert("UTC")


def build_issue_features(
    readings: pd.DataFrame, *, tz: str, feeder_of: dict[str, str], issue_hour_local: int = 9,
    known_lag_days: int = 2, window_days: int = 28, holiday_country: str = "AU", holiday_subdiv: str | None = "NSW",
) -> pd.DataFrame:
    """One row per reading (its kWh the target; NaN kWh: a half-hour to forecast) with the features
    and both seasonal baselines as known at the issue time of its local day."""
    if not 2 <= known_lag_days <= MAX_KNOWN_LAG_DAYS:
        raise ValueError(f"known_lag_days must be 2..{MAX_KNOWN_LAG_DAYS} (D-1 is not over at issue time), "
                         f"got {known_lag_days}")
    grid = build_day_grid(readings)
    stats = known_stats(grid, known_lag_days, window_days)
    m, d, s = grid.meter_idx, grid.day_idx, grid.slot
    local = pd.DatetimeIndex(readings[INTERVAL_START_LOCAL])
    dates = local.normalize()
    issue, cutoff = issue_times(dates, tz, issue_hour_local, known_lag_days)
    meter = readings[METER_ID].astype(str).to_numpy()
    month = np.asarray(local.month)
    lags = np.vstack([sb.lagged(grid, m, d, s, 7 * k) for k in range(1, sb.WEEKS_AVERAGED + 1)])
    out = pd.DataFrame({
        METER_ID: meter,
        FEEDER: pd.Series(meter).map(feeder_of).to_numpy(dtype=object),
        INTERVAL_START_UTC: readings[INTERVAL_START_UTC].to_numpy(),
        INTERVAL_START_LOCAL: local.to_numpy(),
        TARGET_DATE: dates.to_numpy(),
        ISSUE_TIME_UTC: issue,
        INFORMATION_CUTOFF_UTC: cutoff,
        TARGET: readings[KWH].to_numpy(dtype="float64"),
        "half_hour": s.astype("float64"),
        "weekday": np.asarray(local.dayofweek, dtype="float64"),
        "is_weekend": np.asarray(local.dayofweek >= 5, dtype="float64"),
        "is_holiday": _holidays(dates, holiday_country, holiday_subdiv).astype("float64"),
        "month": month.astype("float64"),
        "season": _season(month).astype("float64"),
        IS_DST: readings[IS_DST].to_numpy(dtype="float64"),
        "lag_last_known_day": sb.lagged(grid, m, d, s, known_lag_days),
        "last_known_day_mean": stats.last_day_mean[m, d],
        "lag_7d": lags[0],
        "lag_14d": lags[1],
        "same_weekday_mean_4w": sb.nanmean(lags, axis=0),
        "recent_profile": stats.profile[m, d, s],
        "recent_mean": stats.mean[m, d],
        "recent_std": stats.std[m, d],
        "recent_weekday_weekend_ratio": stats.weekday_weekend_ratio[m, d],
        "mean_all": stats.mean_all[m, d],
        "recent_known_days": stats.known_days[m, d],
        "history_days": stats.history_days[m, d],
        BASELINE_WEEK: sb.same_slot_last_week(grid, stats, m, d, s, known_lag_days),
        BASELINE_4W: sb.mean_of_last_weekdays(grid, stats, m, d, s, known_lag_days),
    })
    out[INTERVAL_START_UTC] = pd.DatetimeIndex(readings[INTERVAL_START_UTC])
    return out


def target_day_rows(meters: list[str], target_date: pd.Timestamp, tz: str, channel: str = "consumption"
                    ) -> pd.DataFrame:
    """Canonical meter rows with unknown kWh (NaN) for every local half-hour of `target_date`
    (46, 48 or 50 of them) and every meter: what `build_issue_features` turns into the day's forecast rows."""
    from gridflow.sources.meters.frame import build_meter_frame

    start = pd.Timestamp(target_date).tz_localize(tz)
    end = (pd.Timestamp(target_date) + pd.Timedelta(days=1)).tz_localize(tz)
    utc = pd.date_range(start.tz_convert("UTC"), end.tz_convert("UTC"), freq="30min", inclusive="left").as_unit("ns")
    local = utc.tz_convert(tz)
    n = len(utc)
    dst = np.array([bool(t.dst()) for t in local])
    k = len(meters)
    return build_meter_frame(
        meter_id=np.repeat(np.asarray(meters, dtype=object), n), channel=np.full(n * k, channel, dtype=object),
        utc_ns=np.tile(utc.asi8, k), minutes=30, local_ns=np.tile(local.tz_localize(None).asi8, k),
        is_dst=np.tile(dst, k), kwh=np.full(n * k, np.nan), is_estimated=np.zeros(n * k, dtype=bool))
