"""Weather features of the day-ahead load forecast, as known at the forecast's issue time.

For target local day D (issued D-1 at `issue_hour_local`), per zone:

* target-day max/min temperature (`wx_tmax_f`, `wx_tmin_f`): from the LATEST stored NWS forecast
  vintage with update_time_utc <= issue time (a vintage is known from its own updateTime) whose
  hourly temperatures cover most of day D (>= 20 hours): the max/min of those hours. Training
  history has no archived vintages, so where none exists and `observed_fallback` is on (training
  only; issuing refuses) the OBSERVED max/min of D plus a forecast-sized error is used instead:
  normal, mean 0, sd = MAE * sqrt(pi/2) (so its mean absolute value is the MAE), seeded per
  (site, date) so every retrain sees the same draw. The MAE defaults to 2.5 F: NWS day-1 maximum
  temperature forecasts miss by about 2-3 F (FORMATS.md 6b). `weather_kind` says which fed each row.
* heating/cooling degrees of that day's mean (`wx_hdd`, `wx_cdd`, base 65 F), an hourly temperature
  estimate (`wx_temp_hour_f`: a diurnal curve with the minimum at 06:00 and the maximum at 15:00)
  and its degrees (`wx_hdd_hour`, `wx_cdd_hour`): the load responds to the hour's heat, not the day's.
* observed weather already known at issue time: D-2 (the last complete day) max/min, and the change
  of the day's mean temperature against the lag days D-2, D-7, D-14 (`wx_tmean_delta_*d`), so the
  model can correct the load lags for a different day's weather.
* D-1, the issue day itself (`wx_tmax_d1`, `wx_tmin_d1`, and the target day's change against it,
  `wx_tmean_delta_1d`, `wx_tmax_delta_1d`): the freshest load features (`last_load`, `lag_1d`,
  `last24_*`) are D-1's, so the model needs D-1's weather to know how much of that level was heat or
  cold. D-1 is not complete at 09:00: its max/min is taken over the union of the station
  observations of D-1 made at or before the issue time and, for the hours after the last of them,
  D-1's hourly temperatures in the SAME vintage selected for D. With fewer than 20 distinct hours
  covered, issuing leaves the features NaN (XGBoost routes missing values); training history has
  neither observations nor vintages, so there (`observed_fallback`) the observed D-1 max/min plus a
  seeded error of MAE `d1_error_mae_f` stands in: 1.5 F by default, as at 09:00 the morning minimum
  is observed and the maximum is a same-day forecast ~6 h ahead, which misses by less than a
  day-ahead one. `weather_d1_kind` says which fed each row.

Several sites per zone: each value is the weighted mean over the sites that have it. A site's
observations are its station's (`sites.station`; the site id when the column is absent).

Error draws: `standard_normal(site, target day, stream)` with stream 0/1 for D's max/min and 2/3
for D-1's, so adding the D-1 draws left every D draw unchanged.

Pure and vectorised: grouped pandas operations and numpy, no per-row Python.
"""

from __future__ import annotations

import zlib

import numpy as np
import pandas as pd

from gridflow.frames import INTERVAL_START_LOCAL, ZONE

ISSUE_TIME_UTC = "issue_time_utc"
WEATHER_KIND = "weather_kind"
WEATHER_VINTAGE_UTC = "weather_vintage_utc"
WEATHER_D1_KIND = "weather_d1_kind"
KIND_FORECAST = "forecast"  # a stored NWS vintage fed the target-day temperatures
KIND_OBSERVED_ERROR = "observed+error"  # training history: observed plus forecast-sized error
KIND_OBSERVED = "observed"  # observed with zero error (the perfect-forecast figure)
KIND_MIXED = "mixed"  # sites of one zone disagree on the kind
KIND_MISSING = "missing"
KIND_ISSUE_TIME = "issue_time"  # D-1 from station observations and the vintage known at issue time

BASE_F = 65.0
MIN_FORECAST_HOURS = 20  # of the day's 23-25: a vintage must cover most of the target day
MIN_D1_HOURS = 20  # observations plus vintage must cover most of D-1 (same bar as the target day)
D1_ERROR_MAE_F = 1.5  # see the module doc: a same-day forecast at 09:00
STREAM_TMAX, STREAM_TMIN, STREAM_TMAX_D1, STREAM_TMIN_D1 = 0, 1, 2, 3
HOUR_TMIN, HOUR_TMAX = 6, 15
LAG_DELTA_DAYS = (2, 7, 14)

TARGET_DAY_FEATURES = ["wx_tmax_f", "wx_tmin_f", "wx_hdd", "wx_cdd", "wx_temp_hour_f", "wx_hdd_hour", "wx_cdd_hour"]
OBSERVED_FEATURES = ["wx_obs_tmax_d2", "wx_obs_tmin_d2", *(f"wx_tmean_delta_{k}d" for k in LAG_DELTA_DAYS)]
D1_FEATURES = ["wx_tmax_d1", "wx_tmin_d1", "wx_tmean_delta_1d", "wx_tmax_delta_1d"]
# Appended, never reordered: a champion's signature names its columns, older ones lack the D-1 four.
WEATHER_FEATURES = [*TARGET_DAY_FEATURES, *OBSERVED_FEATURES, *D1_FEATURES]

_DAY = "local_date"


def weather_feature_columns() -> list[str]:
    """Names of the model input columns added by `build_weather_features`, in order."""
    return list(WEATHER_FEATURES)


def error_sd(mae_f: float) -> float:
    """Normal standard deviation whose mean absolute error is `mae_f`: MAE = sd * sqrt(2 / pi)."""
    return float(mae_f) * float(np.sqrt(np.pi / 2.0))


def standard_normal(site: np.ndarray, day: np.ndarray, stream: int, seed: int = 0) -> np.ndarray:
    """A standard normal per (site, day, stream), identical on every call and machine.

    A counter-based draw (splitmix64 of the key, then Box-Muller) instead of a shared generator:
    the value of one (site, day) never depends on which other days are in the frame.
    """
    site_code = np.array([zlib.crc32(str(s).encode()) for s in pd.unique(site)], dtype=np.uint64)
    codes = pd.Series(site_code, index=pd.unique(site)).reindex(site).to_numpy(dtype=np.uint64)
    ordinal = pd.DatetimeIndex(day).as_unit("ns").asi8 // (86_400 * 10**9)
    key = (codes << np.uint64(32)) ^ ordinal.astype(np.uint64) ^ (np.uint64(stream) << np.uint64(56))
    key = key ^ np.uint64(seed * 0x9E3779B97F4A7C15 % 2**64)
    u1 = (_splitmix64(key) >> np.uint64(11)).astype(np.float64) / 2.0**53
    u2 = (_splitmix64(key ^ np.uint64(0xD1B54A32D192ED03)) >> np.uint64(11)).astype(np.float64) / 2.0**53
    return np.sqrt(-2.0 * np.log1p(-u1)) * np.cos(2.0 * np.pi * u2)


def _splitmix64(x: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        z = x + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def select_vintages(
    target_days: pd.DataFrame, sites: pd.DataFrame, forecasts: pd.DataFrame, tz: str
) -> pd.DataFrame:
    """Per (site, target day): max/min of the latest vintage known at the day's issue time that
    covers it. `target_days` has zone, local_date, issue_time_utc; returns site, zone,
    local_date, fc_tmax_f, fc_tmin_f, vintage_utc (only pairs that have such a vintage)."""
    cols = ["site", ZONE, _DAY, "fc_tmax_f", "fc_tmin_f", "vintage_utc"]
    none = pd.DataFrame({"site": pd.Series(dtype=object), ZONE: pd.Series(dtype=object),
                         _DAY: pd.Series(dtype="datetime64[ns]"), "fc_tmax_f": pd.Series(dtype="float64"),
                         "fc_tmin_f": pd.Series(dtype="float64"),
                         "vintage_utc": pd.Series(dtype="datetime64[ns, UTC]")})
    if forecasts.empty or target_days.empty:
        return none
    fc = forecasts[["site", "update_time_utc", "valid_start_utc", "temperature_f"]].dropna(subset=["temperature_f"])
    fc = fc.assign(**{_DAY: fc["valid_start_utc"].dt.tz_convert(tz).dt.tz_localize(None).dt.normalize()})
    per_vintage = fc.groupby(["site", _DAY, "update_time_utc"], as_index=False).agg(
        fc_tmax_f=("temperature_f", "max"), fc_tmin_f=("temperature_f", "min"), hours=("temperature_f", "size")
    )
    wanted = target_days.merge(sites[["site", ZONE]], on=ZONE)
    cand = per_vintage.merge(wanted, on=["site", _DAY])
    # The point-in-time rule: a vintage is usable only if it was issued by the issue time.
    cand = cand[(cand["update_time_utc"] <= cand[ISSUE_TIME_UTC]) & (cand["hours"] >= MIN_FORECAST_HOURS)]
    if cand.empty:
        return none
    latest = cand.loc[cand.groupby(["site", ZONE, _DAY])["update_time_utc"].idxmax()]
    return latest.rename(columns={"update_time_utc": "vintage_utc"})[cols].reset_index(drop=True)


def _weighted(frame: pd.DataFrame, value_cols: list[str]) -> pd.DataFrame:
    """Weighted mean per (zone, local_date) of each column over the sites where it is not NaN."""
    out = {}
    for col in value_cols:
        w = frame["weight"].where(frame[col].notna(), 0.0)
        num = (frame[col].fillna(0.0) * w).groupby([frame[ZONE], frame[_DAY]]).sum()
        den = w.groupby([frame[ZONE], frame[_DAY]]).sum()
        out[col] = (num / den.where(den > 0)).astype("float64")
    return pd.DataFrame(out)


def _station_of(sites: pd.DataFrame) -> pd.Series:
    """Each site's observation station: the `station` column, or the site id where there is none."""
    if "station" not in sites.columns:
        return sites["site"].astype(str)
    return sites["station"].where(sites["station"].notna(), sites["site"]).astype(str)


def issue_time_d1(grid: pd.DataFrame, observations: pd.DataFrame | None, forecasts: pd.DataFrame,
                  tz: str) -> pd.DataFrame:
    """Per row of `grid` (site, station, local_date D, issue_time_utc, vintage_utc): D-1's max/min
    (F) over the station observations of D-1 made at or before the issue time plus, for the hours
    after the last of them, D-1's hours in D's vintage; `d1_hours` counts the distinct hours covered.
    Returns d1_tmax, d1_tmin, d1_hours on grid's index (NaN / 0 where nothing is known)."""
    out = pd.DataFrame({"d1_tmax": np.nan, "d1_tmin": np.nan, "d1_hours": 0}, index=grid.index)
    key = pd.DataFrame({"_row": grid.index, "site": grid["site"].to_numpy(), "station": grid["station"].to_numpy(),
                        "d1": grid[_DAY].to_numpy() - np.timedelta64(1, "D"),
                        ISSUE_TIME_UTC: pd.DatetimeIndex(grid[ISSUE_TIME_UTC]).tz_convert("UTC"),
                        "vintage_utc": pd.DatetimeIndex(grid["vintage_utc"]).tz_convert("UTC")})
    parts = []
    last_hour = pd.Series(pd.NaT, index=grid.index, dtype="datetime64[ns, UTC]")
    if observations is not None and not observations.empty:
        obs = observations.loc[observations["temperature_c"].notna(), ["station", "observed_at_utc", "temperature_c"]]
        at = pd.DatetimeIndex(obs["observed_at_utc"]).tz_convert("UTC")
        obs = pd.DataFrame({"station": obs["station"].astype(str).to_numpy(), "at": at,
                            "d1": at.tz_convert(tz).tz_localize(None).normalize().as_unit("ns"),
                            "hour_utc": at.floor("h"), "temp_f": obs["temperature_c"].to_numpy() * 9 / 5 + 32})
        seen = key.merge(obs, on=["station", "d1"])
        # The point-in-time rule: an observation counts only if it was made by the issue time.
        seen = seen[seen["at"] <= seen[ISSUE_TIME_UTC]]
        parts.append(seen[["_row", "hour_utc", "temp_f"]])
        last_hour = seen.groupby("_row")["hour_utc"].max().reindex(grid.index)
    if not forecasts.empty and key["vintage_utc"].notna().any():
        fc = forecasts[["site", "update_time_utc", "valid_start_utc", "temperature_f"]].dropna(subset=["temperature_f"])
        valid = pd.DatetimeIndex(fc["valid_start_utc"]).tz_convert("UTC")
        fc = pd.DataFrame({"site": fc["site"].astype(str).to_numpy(),
                           "vintage_utc": pd.DatetimeIndex(fc["update_time_utc"]).tz_convert("UTC"),
                           "d1": valid.tz_convert(tz).tz_localize(None).normalize().as_unit("ns"),
                           "hour_utc": valid.floor("h"), "temp_f": fc["temperature_f"].to_numpy()})
        # Only D's own vintage (selected with update_time_utc <= the issue time): no other is read.
        hours = key.dropna(subset=["vintage_utc"]).merge(fc, on=["site", "vintage_utc", "d1"])
        after = hours["_row"].map(last_hour)
        hours = hours[after.isna().to_numpy() | (hours["hour_utc"] > after).to_numpy()]
        parts.append(hours[["_row", "hour_utc", "temp_f"]])
    parts = [part for part in parts if not part.empty]
    if not parts:
        return out
    union = pd.concat(parts, ignore_index=True).groupby("_row").agg(
        d1_tmax=("temp_f", "max"), d1_tmin=("temp_f", "min"), d1_hours=("hour_utc", "nunique"))
    out.loc[union.index, ["d1_tmax", "d1_tmin"]] = union[["d1_tmax", "d1_tmin"]].to_numpy()
    out.loc[union.index, "d1_hours"] = union["d1_hours"].to_numpy()
    return out


def _with_fallback(known: np.ndarray, known_max, known_min, fallback_max: np.ndarray, fallback_min: np.ndarray,
                   observed_fallback: bool, error_mae_f: float, known_kind: str) -> tuple[np.ndarray, ...]:
    """max, min and kind per row: the issue-time values where `known`, else (training only) the
    observed-plus-error stand-in where it is finite, else NaN / "missing"; max >= min."""
    use_obs = ~known & observed_fallback & np.isfinite(fallback_max) & np.isfinite(fallback_min)
    tmax = np.where(known, known_max, np.where(use_obs, fallback_max, np.nan))
    tmin = np.where(known, known_min, np.where(use_obs, fallback_min, np.nan))
    fallback_kind = KIND_OBSERVED_ERROR if error_mae_f > 0 else KIND_OBSERVED
    kind = np.where(known, known_kind, np.where(use_obs, fallback_kind, KIND_MISSING))
    # Sensor noise can put tmin above tmax after the error; the pair is a range, keep it ordered.
    return np.fmax(tmax, tmin), np.fmin(tmax, tmin), kind


def daily_weather(
    target_days: pd.DataFrame,
    sites: pd.DataFrame,
    daily: pd.DataFrame,
    forecasts: pd.DataFrame,
    tz: str,
    error_mae_f: float,
    observed_fallback: bool = True,
    seed: int = 0,
    *,
    observations: pd.DataFrame | None = None,
    d1_error_mae_f: float = D1_ERROR_MAE_F,
) -> pd.DataFrame:
    """Per (zone, local_date) of `target_days`: target-day and D-1 tmax/tmin as known at issue time,
    the kinds and vintage behind them, and observed tmax/tmin/tmean of the lag days (see module doc)."""
    days = target_days[[ZONE, _DAY, ISSUE_TIME_UTC]].drop_duplicates([ZONE, _DAY])
    site_cols = sites.assign(station=_station_of(sites))[["site", "station", ZONE, "weight"]]
    grid = days.merge(site_cols, on=ZONE)
    obs = daily.set_index(["site", _DAY])[["tmax_f", "tmin_f"]]

    def observed(shift_days: int) -> pd.DataFrame:
        key = pd.MultiIndex.from_arrays([grid["site"], grid[_DAY] - pd.Timedelta(days=shift_days)])
        return obs.reindex(key).reset_index(drop=True)

    def stand_in(shift_days: int, mae_f: float, streams: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
        # Keyed on the TARGET day: the draw of a (site, D) never depends on the other rows.
        day = observed(shift_days)
        z_max, z_min = (standard_normal(grid["site"], grid[_DAY], k, seed) for k in streams)
        return day["tmax_f"].to_numpy() + error_sd(mae_f) * z_max, day["tmin_f"].to_numpy() + error_sd(mae_f) * z_min

    vint = select_vintages(days, sites, forecasts, tz)
    grid = grid.merge(vint, on=["site", ZONE, _DAY], how="left")
    has_vintage = grid["vintage_utc"].notna().to_numpy()
    grid["tmax"], grid["tmin"], grid["kind"] = _with_fallback(
        has_vintage, grid["fc_tmax_f"], grid["fc_tmin_f"], *stand_in(0, error_mae_f, (STREAM_TMAX, STREAM_TMIN)),
        observed_fallback, error_mae_f, KIND_FORECAST)
    d1 = issue_time_d1(grid, observations, forecasts, tz)
    grid["tmax_d1"], grid["tmin_d1"], grid["kind_d1"] = _with_fallback(
        (d1["d1_hours"] >= MIN_D1_HOURS).to_numpy(), d1["d1_tmax"], d1["d1_tmin"],
        *stand_in(1, d1_error_mae_f, (STREAM_TMAX_D1, STREAM_TMIN_D1)), observed_fallback, d1_error_mae_f,
        KIND_ISSUE_TIME)
    lag_cols = []
    for k in sorted({2, *LAG_DELTA_DAYS}):
        lagged = observed(k)
        grid[f"obs_tmax_{k}"] = lagged["tmax_f"].to_numpy()
        grid[f"obs_tmin_{k}"] = lagged["tmin_f"].to_numpy()
        grid[f"obs_tmean_{k}"] = (lagged["tmax_f"].to_numpy() + lagged["tmin_f"].to_numpy()) / 2
        lag_cols += [f"obs_tmax_{k}", f"obs_tmin_{k}", f"obs_tmean_{k}"]
    out = _weighted(grid, ["tmax", "tmin", "tmax_d1", "tmin_d1", *lag_cols])
    groups = grid.groupby([ZONE, _DAY])
    out["kind"] = groups["kind"].agg(_one_kind)
    out["kind_d1"] = groups["kind_d1"].agg(_one_kind)
    out["vintage_utc"] = groups["vintage_utc"].max()
    return out.reset_index()


def _one_kind(kinds: pd.Series) -> str:
    return kinds.iloc[0] if kinds.nunique() == 1 else KIND_MIXED


def diurnal_temperature(tmin: np.ndarray, tmax: np.ndarray, hour: np.ndarray) -> np.ndarray:
    """Hourly temperature between the day's min (06:00) and max (15:00): half-cosine rise, slower
    half-cosine fall over the 15 hours from the afternoon maximum to the next morning's minimum."""
    hour = np.asarray(hour, dtype="float64")
    span = np.asarray(tmax, dtype="float64") - np.asarray(tmin, dtype="float64")
    rising = (hour >= HOUR_TMIN) & (hour <= HOUR_TMAX)
    rise = tmin + span * (1 - np.cos(np.pi * (hour - HOUR_TMIN) / (HOUR_TMAX - HOUR_TMIN))) / 2
    since_max = (hour - HOUR_TMAX) % 24
    fall = tmax - span * (1 - np.cos(np.pi * since_max / (24 - (HOUR_TMAX - HOUR_TMIN)))) / 2
    return np.where(rising, rise, fall)


def build_weather_features(
    feats: pd.DataFrame,
    sites: pd.DataFrame,
    daily: pd.DataFrame,
    forecasts: pd.DataFrame,
    tz: str,
    error_mae_f: float,
    observed_fallback: bool = True,
    seed: int = 0,
    *,
    observations: pd.DataFrame | None = None,
    d1_error_mae_f: float = D1_ERROR_MAE_F,
) -> pd.DataFrame:
    """Weather features for every row of a day-ahead features frame (its index and row order).

    `feats` needs zone, interval_start_local, issue_time_utc and `hour` (from
    `build_day_ahead_features`); `sites` has site, zone, weight (and station); `daily` is
    `read_weather_daily`'s frame, `forecasts` `read_weather_forecasts`'s, `observations`
    `read_weather_observations`' (either may be empty). Returns `weather_feature_columns()`
    (float64) plus `weather_kind`, `weather_d1_kind` and `weather_vintage_utc`. A zone with no site
    gets NaN features and kind "missing".
    """
    local_day = pd.DatetimeIndex(feats[INTERVAL_START_LOCAL]).normalize()
    keys = pd.DataFrame({ZONE: feats[ZONE].astype(str).to_numpy(), _DAY: local_day,
                         ISSUE_TIME_UTC: feats[ISSUE_TIME_UTC].to_numpy()})
    site_frame = sites.assign(**{ZONE: sites[ZONE].astype(str)})
    per_day = daily_weather(keys, site_frame, daily, forecasts, tz, error_mae_f, observed_fallback, seed,
                            observations=observations, d1_error_mae_f=d1_error_mae_f)
    row = keys[[ZONE, _DAY]].merge(per_day, on=[ZONE, _DAY], how="left")
    tmax, tmin = row["tmax"].to_numpy(), row["tmin"].to_numpy()
    tmax_d1, tmin_d1 = row["tmax_d1"].to_numpy(), row["tmin_d1"].to_numpy()
    tmean = (tmax + tmin) / 2
    hourly = diurnal_temperature(tmin, tmax, feats["hour"].to_numpy(dtype="float64"))
    out = {
        "wx_tmax_f": tmax,
        "wx_tmin_f": tmin,
        "wx_hdd": np.maximum(BASE_F - tmean, 0.0),
        "wx_cdd": np.maximum(tmean - BASE_F, 0.0),
        "wx_temp_hour_f": hourly,
        "wx_hdd_hour": np.maximum(BASE_F - hourly, 0.0),
        "wx_cdd_hour": np.maximum(hourly - BASE_F, 0.0),
        "wx_obs_tmax_d2": row["obs_tmax_2"].to_numpy(),
        "wx_obs_tmin_d2": row["obs_tmin_2"].to_numpy(),
        "wx_tmax_d1": tmax_d1,
        "wx_tmin_d1": tmin_d1,
        # The change from the day whose load the freshest lags carry (D-1) to the target day.
        "wx_tmean_delta_1d": tmean - (tmax_d1 + tmin_d1) / 2,
        "wx_tmax_delta_1d": tmax - tmax_d1,
    }
    for k in LAG_DELTA_DAYS:
        out[f"wx_tmean_delta_{k}d"] = tmean - row[f"obs_tmean_{k}"].to_numpy()
    frame = pd.DataFrame({c: np.asarray(out[c], dtype="float64") for c in WEATHER_FEATURES}, index=feats.index)
    frame[WEATHER_KIND] = row["kind"].fillna(KIND_MISSING).to_numpy()
    frame[WEATHER_D1_KIND] = row["kind_d1"].fillna(KIND_MISSING).to_numpy()
    frame[WEATHER_VINTAGE_UTC] = pd.DatetimeIndex(pd.to_datetime(row["vintage_utc"], utc=True))
    return frame
