"""Day-ahead price features as known when the forecast of delivery day D is issued.

The forecast of D is issued at `issue_hour_local` on D-1, before the day-ahead market closes
(ERCOT 10:00 Central, PJM 10:30 Eastern). A DAM clears the afternoon before its delivery day, so
at issue time the prices of every delivery day up to D-1 are published (D-1's on the afternoon of
D-2) and D's are not. Every price feature of a row of day D is therefore read from delivery days
<= D-1 only: the rule lives in one place (`_Days.before`), and a perturbation test garbles every
price of D and later and asserts the rows of D are bit-identical.

Prices sit on a [node, local day, local hour] cube (a fall-back day's repeated hour is averaged,
a spring-forward day's missing hour stays NaN, nothing is interpolated); every look-up is an array
offset, so the build is vectorised. Features, and why:

* calendar (`hour`, `day_of_week`, `month`, `is_weekend`, `is_holiday`, `is_dst`): demand and
  solar output follow the local clock, the working week and the season;
* same hour of D-1, D-2, D-7 (`lag_1d`, `lag_2d`, `lag_7d`) and its mean/min/max over D-1..D-7:
  the daily shape at the current level, and how stable that hour has been;
* D-1's daily mean, max, min and standard deviation and the week's mean: the level and its spikiness;
* cross-node (`nodes_lag_1d`, `nodes_d1_max`, `spread_lag_1d`): the mean over the loaded nodes of
  the same hour of D-1, their highest price of D-1 (a system scarcity signal), and this node's
  congestion spread against that mean;
* `node_is_<node>`: one model learns every node, a one-hot column tells them apart.
"""

from __future__ import annotations

import holidays as holidays_lib
import numpy as np
import pandas as pd

from gridflow.errors import InsufficientDataError

NODE = "node"
PRICE = "price_usd_per_mwh"
UTC = "interval_start_utc"
LOCAL = "interval_start_local"
IS_DST = "is_dst"
TARGET = "target"
DELIVERY_DATE = "delivery_date"  # local delivery day D of the row
ISSUE_TIME_UTC = "issue_time_utc"

CALENDAR_FEATURES = ["hour", "day_of_week", "month", "is_weekend", "is_holiday", "is_dst"]
PRICE_FEATURES = [
    "lag_1d", "lag_2d", "lag_7d",
    "same_hour_mean_7d", "same_hour_min_7d", "same_hour_max_7d",
    "d1_mean", "d1_max", "d1_min", "d1_std", "week_mean",
    "nodes_lag_1d", "nodes_d1_max", "spread_lag_1d",
]
_WEEK = 7
_MIN_HOURS_D1 = 20  # D-1 with fewer known hours is treated as unknown: the row is not forecastable


def node_columns(nodes: list[str]) -> list[str]:
    """One-hot column names of `nodes`, in their configured order."""
    return [f"node_is_{n}" for n in nodes]


def feature_columns(nodes: list[str]) -> list[str]:
    """Model inputs in order: calendar, prices, then the node one-hots."""
    return [*CALENDAR_FEATURES, *PRICE_FEATURES, *node_columns(nodes)]


def issue_time_utc(delivery_days: pd.DatetimeIndex, tz: str, issue_hour_local: int,
                   issue_minute: int = 0) -> pd.DatetimeIndex:
    """The issue instant (UTC) of each delivery day: `issue_hour_local:issue_minute` on D-1, local time."""
    local = delivery_days - pd.Timedelta(days=1) + pd.Timedelta(hours=issue_hour_local, minutes=issue_minute)
    return local.tz_localize(tz, ambiguous=False, nonexistent="shift_forward").tz_convert("UTC")


class _Days:
    """The [node, day, hour] price cube of the loaded nodes, padded with `_WEEK` unknown days first."""

    def __init__(self, node_idx: np.ndarray, day_idx: np.ndarray, hour: np.ndarray, price: np.ndarray,
                 n_nodes: int, n_days: int) -> None:
        total = np.zeros((n_nodes, n_days + _WEEK, 24))
        count = np.zeros_like(total)
        ok = np.isfinite(price)
        np.add.at(total, (node_idx[ok], day_idx[ok] + _WEEK, hour[ok]), price[ok])
        np.add.at(count, (node_idx[ok], day_idx[ok] + _WEEK, hour[ok]), 1.0)
        with np.errstate(invalid="ignore"):
            self.cube = np.where(count > 0, total / np.maximum(count, 1), np.nan)

    def before(self, day_idx: np.ndarray, k: int) -> np.ndarray:
        """Index into the cube's day axis of delivery day D-k (k >= 1: published before D's issue time)."""
        if k < 1:
            raise ValueError(f"day D-{k} is not published at the issue time of day D")
        return day_idx + _WEEK - k


def _nan_stats(values: np.ndarray, axis: int | tuple[int, ...]) -> dict[str, np.ndarray]:
    """Mean, min, max, std and count of the finite values along `axis` (NaN where none)."""
    ok = np.isfinite(values)
    n = ok.sum(axis=axis)
    filled = np.where(ok, values, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = filled.sum(axis=axis) / n
        var = np.where(ok, (values - np.expand_dims(mean, axis)) ** 2, 0.0).sum(axis=axis) / n
    lo = np.where(ok, values, np.inf).min(axis=axis)
    hi = np.where(ok, values, -np.inf).max(axis=axis)
    none = n == 0
    return {"mean": mean, "min": np.where(none, np.nan, lo), "max": np.where(none, np.nan, hi),
            "std": np.sqrt(var), "count": n}


def build_price_features(prices: pd.DataFrame, nodes: list[str], tz: str, issue_hour_local: int,
                         issue_minute: int = 0, country_holidays: str = "US") -> pd.DataFrame:
    """One row per price of `nodes` whose D-1 is known, with the features as of its issue time.

    `prices` has `market_price` columns (node, interval_start_utc, interval_start_local, is_dst,
    price_usd_per_mwh). Returns node, interval_start_utc, interval_start_local, delivery_date,
    issue_time_utc, `feature_columns(nodes)` (float64) and `target` (the price), sorted by node and
    time. Cross-node features use every node in `prices`, not only `nodes`.
    """
    missing = [c for c in (NODE, UTC, LOCAL, IS_DST, PRICE) if c not in prices.columns]
    if missing:
        raise ValueError(f"price frame lacks column(s) {missing}")
    if prices.empty:
        raise InsufficientDataError("no prices to build features from")
    frame = prices.sort_values([NODE, UTC], kind="stable").reset_index(drop=True)
    all_nodes = sorted(set(frame[NODE].astype(str)))
    node_idx = pd.Categorical(frame[NODE].astype(str), categories=all_nodes).codes.astype(np.int64)
    local = pd.DatetimeIndex(frame[LOCAL])
    day = local.normalize()
    first = day.min()
    day_idx = ((day - first) // pd.Timedelta(days=1)).to_numpy().astype(np.int64)
    hour = local.hour.to_numpy().astype(np.int64)
    n_days = int(day_idx.max()) + 1
    days = _Days(node_idx, day_idx, hour, frame[PRICE].to_numpy(dtype="float64"), len(all_nodes), n_days)
    cube = days.cube

    def lag(k: int) -> np.ndarray:
        return cube[node_idx, days.before(day_idx, k), hour]

    d1 = days.before(day_idx, 1)
    daily = _nan_stats(cube, axis=2)  # [node, day]
    week = np.stack([cube[node_idx, days.before(day_idx, k), hour] for k in range(1, _WEEK + 1)], axis=1)
    same_hour = _nan_stats(week, axis=1)
    # The week's level from daily sums and counts: no [row, day, hour] block in memory.
    sums = np.nan_to_num(daily["mean"] * daily["count"])
    week_sum = sum(sums[node_idx, days.before(day_idx, k)] for k in range(1, _WEEK + 1))
    week_count = sum(daily["count"][node_idx, days.before(day_idx, k)] for k in range(1, _WEEK + 1))
    with np.errstate(invalid="ignore", divide="ignore"):
        week_mean = np.where(week_count > 0, week_sum / np.maximum(week_count, 1), np.nan)
    across = _nan_stats(cube, axis=0)  # [day, hour]
    day_max_all = _nan_stats(cube, axis=(0, 2))["max"]  # [day]

    hol = np.array(sorted(holidays_lib.country_holidays(
        country_holidays, years=range(day.min().year - 1, day.max().year + 2))), dtype="datetime64[D]")
    out: dict[str, np.ndarray] = {
        "hour": hour,
        "day_of_week": local.dayofweek.to_numpy(),
        "month": local.month.to_numpy(),
        "is_weekend": (local.dayofweek.to_numpy() >= 5),
        "is_holiday": np.isin(day.to_numpy().astype("datetime64[D]"), hol),
        "is_dst": frame[IS_DST].to_numpy(dtype=bool),
        "lag_1d": lag(1), "lag_2d": lag(2), "lag_7d": lag(7),
        "same_hour_mean_7d": same_hour["mean"], "same_hour_min_7d": same_hour["min"],
        "same_hour_max_7d": same_hour["max"],
        "d1_mean": daily["mean"][node_idx, d1], "d1_max": daily["max"][node_idx, d1],
        "d1_min": daily["min"][node_idx, d1], "d1_std": daily["std"][node_idx, d1],
        "week_mean": week_mean,
        "nodes_lag_1d": across["mean"][d1, hour], "nodes_d1_max": day_max_all[d1],
    }
    out["spread_lag_1d"] = out["lag_1d"] - out["nodes_lag_1d"]
    for name, column in zip(node_columns(nodes), nodes, strict=True):
        out[name] = (frame[NODE].astype(str) == column).to_numpy()
    feats = pd.DataFrame({c: np.asarray(v, dtype="float64") for c, v in out.items()})
    keep = np.isin(frame[NODE].astype(str), nodes) & (daily["count"][node_idx, d1] >= _MIN_HOURS_D1)
    head = pd.DataFrame({
        NODE: frame[NODE].astype(str).to_numpy(),
        UTC: pd.DatetimeIndex(frame[UTC]),
        LOCAL: local,
        DELIVERY_DATE: day,
        ISSUE_TIME_UTC: issue_time_utc(day, tz, issue_hour_local, issue_minute),
    })
    result = pd.concat([head, feats[feature_columns(nodes)]], axis=1)
    result[TARGET] = frame[PRICE].to_numpy(dtype="float64")
    return result[keep].reset_index(drop=True)
