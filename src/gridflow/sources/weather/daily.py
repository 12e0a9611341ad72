"""Daily extremes from station observations, so `weather_daily` stays current after GHCN history ends.

A local calendar day counts when it has closed (its local midnight end is at or before `now_utc`,
default: the latest observation) and at least `min_hours` distinct local clock hours carry a
temperature: 20 of 24 (23 on spring-forward, 25 on fall-back) hours. Hourly METARs miss the true
extremes between reports by a few tenths of a degree; GHCN rows replace these when they arrive.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SOURCE = "nws_observations"
COLUMNS = ["station", "local_date", "tmax_f", "tmin_f", "prcp_in", "source", "hours"]


def daily_from_observations(observations: pd.DataFrame, tz: str, min_hours: int = 20,
                            now_utc: pd.Timestamp | None = None) -> pd.DataFrame:
    """Local-day max/min temperature (F) per station from `weather_observation`-shaped rows; only
    closed days with `min_hours` hours of data. `local_date` is naive midnight; `prcp_in` is null."""
    obs = observations.loc[observations["temperature_c"].notna(), ["station", "observed_at_utc", "temperature_c"]]
    if obs.empty:
        return _empty()
    utc = pd.DatetimeIndex(obs["observed_at_utc"]).tz_convert("UTC")
    local = utc.tz_convert(tz)
    # Distinct UTC hours, not local ones: the repeated 01:00 of a fall-back day counts twice.
    frame = pd.DataFrame({
        "station": obs["station"].to_numpy(),
        "local_date": local.tz_localize(None).normalize(),
        "hour": utc.floor("h"),
        "temperature_f": obs["temperature_c"].to_numpy(dtype="float64") * 9 / 5 + 32,
    })
    days = frame.groupby(["station", "local_date"], sort=True).agg(
        tmax_f=("temperature_f", "max"), tmin_f=("temperature_f", "min"), hours=("hour", "nunique")).reset_index()
    cutoff = pd.Timestamp(now_utc).tz_convert("UTC") if now_utc is not None else utc.max()
    # The instant a local day ends: the next local midnight (tz-aware, so DST days are 23/25 h).
    ends = (days["local_date"] + pd.Timedelta(days=1)).dt.tz_localize(tz, nonexistent="shift_forward",
                                                                        ambiguous=False)
    keep = (ends <= cutoff).to_numpy() & (days["hours"] >= min_hours).to_numpy()
    out = days.loc[keep].reset_index(drop=True)
    out["tmax_f"] = out["tmax_f"].round(1)
    out["tmin_f"] = out["tmin_f"].round(1)
    out["prcp_in"] = np.nan
    out["source"] = SOURCE
    out["local_date"] = out["local_date"].astype("datetime64[ns]")
    out["hours"] = out["hours"].astype("int64")
    return out[COLUMNS]


def _empty() -> pd.DataFrame:
    return pd.DataFrame({"station": pd.Series(dtype=object), "local_date": pd.Series(dtype="datetime64[ns]"),
                         "tmax_f": pd.Series(dtype="float64"), "tmin_f": pd.Series(dtype="float64"),
                         "prcp_in": pd.Series(dtype="float64"), "source": pd.Series(dtype=object),
                         "hours": pd.Series(dtype="int64")})
