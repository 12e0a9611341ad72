"""Leakage-safe day-ahead features: every value is known at the forecast's issue time.

A forecast for the hours of local day D is issued at `issue_hour_local` (default 09:00) local time
on day D - `horizon_days`. A load interval may feed a feature only if it ENDED at or before that
instant; one gate (`_Clock.known`) enforces this for every look-up, so no feature can leak.

Features, and why:

* calendar (`hour`, `day_of_week`, `month`, `doy_sin`/`doy_cos`, `is_weekend`, `is_dst`): load is
  driven by the local wall clock, the working week and the season; sin/cos avoids a Dec/Jan jump.
* holidays (`is_holiday`, `is_day_before_holiday`, `is_day_after_holiday`): federal holidays and
  their neighbours look like weekends; `lag_7d_is_holiday` flags that `lag_7d` itself is atypical.
* `lead_hours`: hours from issue to target start; differs from `hour` on 23/25-hour days.
* same local hour 1, 2, 7 and 14 days before the target (`lag_1d` ... `lag_14d`): daily and weekly
  seasonality at the current level. `lag_1d` is NaN for hours that had not ended at issue time.
* `last_load`: the most recent known hour (08:00-09:00 local on D-1) - the freshest level.
* `last24_mean/max/min`: the 24 hours before issue; `last24_mean_lag7d` is the same window a week
  earlier, so the model can scale weekly lags by the recent week-on-week change.
* `prev_day_mean/max/min`: the last complete local day before the issue day (D-2 day-ahead).
* `week_mean`: the 168 hours before issue, a smoother level.

Loads live on a regular hourly UTC grid per zone (gaps stay NaN, nothing is interpolated), and all
look-ups are array offsets computed once per grid hour, so the build is vectorised end to end.
"""

from __future__ import annotations

import holidays as holidays_lib
import numpy as np
import pandas as pd

from gridflow.errors import InsufficientDataError
from gridflow.forecast.grid import HOUR_NS, MISSING, HourlyGrid, to_ns
from gridflow.frames import INTERVAL_START_LOCAL, INTERVAL_START_UTC, LOAD_KEY, LOAD_MW, ZONE

ISSUE_TIME_UTC = "issue_time_utc"
TARGET = "target"

LAG_DAYS = (1, 2, 7, 14)
MIN_HISTORY_DAYS = 15  # the longest lag (14 days) plus the target day itself
_MIN_HOURS_24 = 18  # window stats tolerate a few missing hours, not a mostly empty window
_MIN_HOURS_168 = 120
_MIN_HOURS_DAY = 20

CALENDAR_FEATURES = [
    "hour",
    "day_of_week",
    "month",
    "doy_sin",
    "doy_cos",
    "is_weekend",
    "is_holiday",
    "is_day_before_holiday",
    "is_day_after_holiday",
    "is_dst",
    "lead_hours",
]
LOAD_FEATURES = [
    *(f"lag_{k}d" for k in LAG_DAYS),
    "lag_7d_is_holiday",
    "last_load",
    "last24_mean",
    "last24_max",
    "last24_min",
    "last24_mean_lag7d",
    "prev_day_mean",
    "prev_day_max",
    "prev_day_min",
    "week_mean",
]
FEATURE_COLUMNS = [*CALENDAR_FEATURES, *LOAD_FEATURES]


def feature_columns() -> list[str]:
    """Names of the model input columns produced by `build_day_ahead_features`, in order."""
    return list(FEATURE_COLUMNS)


class _Clock:
    """Local-time facts for every grid hour, and the leakage gate for look-ups."""

    def __init__(self, grid: HourlyGrid, tz: str, issue_hour_local: int, horizon_days: int):
        self.grid = grid
        self.tz = tz
        self.utc_ns = grid.times_ns()
        local = pd.DatetimeIndex(self.utc_ns, tz="UTC").tz_convert(tz).tz_localize(None)
        self.local = local
        self.local_date = local.normalize()
        issue_date = self.local_date - pd.Timedelta(days=horizon_days)
        self.issue_date = issue_date
        # An issue hour the clock skips (02:00 on spring-forward day) means the next valid instant.
        self.issue_ns = self.localize_ns(
            issue_date + pd.Timedelta(hours=issue_hour_local), nonexistent="shift_forward"
        )

    def localize_ns(self, naive: pd.DatetimeIndex, nonexistent: str = "NaT") -> np.ndarray:
        """Wall-clock times to UTC ns, computed once per distinct value.

        A repeated fall-back hour resolves to its first (daylight) occurrence; by default a
        skipped spring-forward hour has no UTC instant and becomes NaT.
        """
        uniq, inverse = np.unique(naive.as_unit("ns").asi8, return_inverse=True)
        idx = pd.DatetimeIndex(uniq).tz_localize(
            self.tz, ambiguous=np.ones(len(uniq), dtype=bool), nonexistent=nonexistent
        )
        return to_ns(idx)[inverse]

    def known(self, start_ns: np.ndarray) -> np.ndarray:
        """Grid position of each hour start if that interval ended by issue time, else MISSING."""
        pos = self.grid.positions(start_ns)
        return np.where(start_ns + HOUR_NS <= self.issue_ns, pos, MISSING)


def _check_input(load: pd.DataFrame, issue_hour_local: int, horizon_days: int) -> None:
    missing = [c for c in (ZONE, INTERVAL_START_UTC, LOAD_MW) if c not in load.columns]
    if missing:
        raise ValueError(f"load frame lacks column(s) {missing}")
    if not 0 <= issue_hour_local <= 23:
        raise ValueError(f"issue_hour_local must be 0..23, got {issue_hour_local}")
    if horizon_days < 1:
        raise ValueError(f"horizon_days must be >= 1, got {horizon_days}")
    if load.empty:
        raise InsufficientDataError("no load rows: day-ahead features need at least 15 days")
    if getattr(load[INTERVAL_START_UTC].dtype, "tz", None) is None:
        raise ValueError("interval_start_utc must be timezone-aware (UTC)")
    if load[ZONE].isna().any():
        raise ValueError("zone must not be missing")
    dup = load.duplicated(subset=LOAD_KEY)
    if dup.any():
        first = load.loc[dup, LOAD_KEY].iloc[0].tolist()
        raise ValueError(f"{int(dup.sum())} duplicate (zone, interval_start_utc) keys, e.g. {first}")


def _check_history(grid: HourlyGrid) -> None:
    observed = ~np.isnan(grid.values)
    for code, zone in enumerate(grid.zones):
        hours = np.flatnonzero(observed[code])
        span_days = 0.0 if len(hours) == 0 else (hours[-1] - hours[0] + 1) / 24
        if span_days < MIN_HISTORY_DAYS:
            raise InsufficientDataError(
                f"zone {zone!r} has {span_days:.1f} days of load history; day-ahead features need "
                f"at least {MIN_HISTORY_DAYS} (the longest lag is 14 days)"
            )


def _rolling(values: np.ndarray, window: int, min_hours: int, stat: str) -> np.ndarray:
    """Trailing window statistic per zone, ending at (and including) each grid hour."""
    roll = pd.DataFrame(values.T).rolling(window, min_periods=min_hours)
    return getattr(roll, stat)().to_numpy().T


def _holiday_dates(dates: pd.DatetimeIndex, country: str) -> np.ndarray:
    years = range(dates.min().year - 1, dates.max().year + 2)
    return np.array(sorted(holidays_lib.country_holidays(country, years=years)), dtype="datetime64[D]")


def build_day_ahead_features(
    load: pd.DataFrame,
    tz: str,
    issue_hour_local: int = 9,
    horizon_days: int = 1,
    country_holidays: str = "US",
) -> pd.DataFrame:
    """Features for every row of a canonical load frame, as known at that row's issue time.

    Returns a frame with `load`'s index and row order: zone, interval_start_utc,
    interval_start_local, issue_time_utc, target (= load_mw, NaN for unknown future hours) and
    `feature_columns()`. Raises InsufficientDataError when a zone has under 15 days of history.
    """
    _check_input(load, issue_hour_local, horizon_days)
    utc_ns = to_ns(load[INTERVAL_START_UTC])
    grid = HourlyGrid.build(load[ZONE], utc_ns, load[LOAD_MW].to_numpy(dtype="float64"))
    _check_history(grid)
    clock = _Clock(grid, tz, issue_hour_local, horizon_days)
    at_row = grid.row_pos  # grid hour of every row; per-hour arrays are gathered through it
    out: dict[str, np.ndarray] = {}

    # Calendar, computed per grid hour.
    local, local_date = clock.local, clock.local_date
    days = local_date.to_numpy().astype("datetime64[D]")
    hol = _holiday_dates(local_date, country_holidays)
    one_day = np.timedelta64(1, "D")
    doy = 2 * np.pi * (local.dayofyear.to_numpy() - 1) / 365.25
    offset_ns = to_ns(local) - clock.utc_ns
    std_offset = _standard_offset_ns(clock.utc_ns, tz)
    calendar = {
        "hour": local.hour.to_numpy().astype(np.int8),
        "day_of_week": local.dayofweek.to_numpy().astype(np.int8),
        "month": local.month.to_numpy().astype(np.int8),
        "doy_sin": np.sin(doy).astype(np.float32),
        "doy_cos": np.cos(doy).astype(np.float32),
        "is_weekend": (local.dayofweek.to_numpy() >= 5).astype(np.int8),
        "is_holiday": np.isin(days, hol).astype(np.int8),
        "is_day_before_holiday": np.isin(days + one_day, hol).astype(np.int8),
        "is_day_after_holiday": np.isin(days - one_day, hol).astype(np.int8),
        "is_dst": (offset_ns != std_offset).astype(np.int8),
        "lead_hours": ((clock.utc_ns - clock.issue_ns) // HOUR_NS).astype(np.int16),
    }
    for name, per_hour in calendar.items():
        out[name] = per_hour[at_row]

    # Same local hour k days before the target.
    values = grid.values
    for k in LAG_DAYS:
        lag_start = clock.localize_ns(local - pd.Timedelta(days=k))
        out[f"lag_{k}d"] = grid.gather(values, clock.known(lag_start)[at_row]).astype(np.float32)
    out["lag_7d_is_holiday"] = np.isin(days - 7 * one_day, hol).astype(np.int8)[at_row]

    # State of the system at issue time: trailing windows ending with the last known hour.
    last_pos = clock.known(clock.issue_ns - HOUR_NS)[at_row]
    week_ago_pos = clock.known(clock.issue_ns - 169 * HOUR_NS)[at_row]
    r24_mean = _rolling(values, 24, _MIN_HOURS_24, "mean")
    out["last_load"] = grid.gather(values, last_pos).astype(np.float32)
    out["last24_mean"] = grid.gather(r24_mean, last_pos).astype(np.float32)
    out["last24_max"] = grid.gather(_rolling(values, 24, _MIN_HOURS_24, "max"), last_pos).astype(
        np.float32
    )
    out["last24_min"] = grid.gather(_rolling(values, 24, _MIN_HOURS_24, "min"), last_pos).astype(
        np.float32
    )
    out["last24_mean_lag7d"] = grid.gather(r24_mean, week_ago_pos).astype(np.float32)

    # Last complete local day before the issue day; local days have 23, 24 or 25 hours.
    day0 = days.min()
    day_num = (days - day0).astype(np.int64)
    n_days = int(day_num.max()) + 1
    by_day = pd.DataFrame(values.T).groupby(day_num)
    count = by_day.count().reindex(range(n_days)).to_numpy().T
    prev_date = clock.issue_date - pd.Timedelta(days=1)
    prev_day = (prev_date.to_numpy().astype("datetime64[D]") - day0).astype(np.int64)
    # The gate is derived from the day looked up: it must have closed by issue time.
    prev_day_end = clock.localize_ns(prev_date + pd.Timedelta(days=1), nonexistent="shift_forward")
    legal = (prev_day >= 0) & (prev_day < n_days) & (prev_day_end <= clock.issue_ns)
    prev_day = np.where(legal, prev_day, MISSING)[at_row]
    for stat in ("mean", "max", "min"):
        table = getattr(by_day, stat)().reindex(range(n_days)).to_numpy().T
        table = np.where(count >= _MIN_HOURS_DAY, table, np.nan)
        out[f"prev_day_{stat}"] = grid.gather(table, prev_day).astype(np.float32)

    out["week_mean"] = grid.gather(
        _rolling(values, 168, _MIN_HOURS_168, "mean"), last_pos
    ).astype(np.float32)

    ids = {
        ZONE: load[ZONE].to_numpy(),
        INTERVAL_START_UTC: pd.DatetimeIndex(utc_ns, tz="UTC"),
        INTERVAL_START_LOCAL: local[at_row],
        ISSUE_TIME_UTC: pd.DatetimeIndex(clock.issue_ns[at_row], tz="UTC"),
        TARGET: load[LOAD_MW].to_numpy(dtype="float64"),
    }
    frame = pd.DataFrame({**ids, **{c: out[c] for c in FEATURE_COLUMNS}}, index=load.index)
    frame[ZONE] = frame[ZONE].astype(load[ZONE].dtype)
    return frame


def _standard_offset_ns(utc_ns: np.ndarray, tz: str) -> np.ndarray:
    """UTC offset of standard (winter) time in each hour's year: the smaller offset of Jan and Jul.

    Used instead of per-timestamp `dst()` calls, which are Python-level and slow on 1M rows.
    """
    years = pd.DatetimeIndex(utc_ns, tz="UTC").year.to_numpy()
    uniq, inverse = np.unique(years, return_inverse=True)
    jan = pd.DatetimeIndex([f"{y}-01-15" for y in uniq], tz="UTC")
    jul = pd.DatetimeIndex([f"{y}-07-15" for y in uniq], tz="UTC")

    def offset(idx: pd.DatetimeIndex) -> np.ndarray:
        return to_ns(idx.tz_convert(tz).tz_localize(None)) - to_ns(idx)

    return np.minimum(offset(jan), offset(jul))[inverse]
