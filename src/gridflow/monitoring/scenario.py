"""Demo and test scenario: a period of real load, grown and moved to just after the data ends.

`shifted_period(load, "2015-07-01", "2015-09-01")` takes the summer of 2015, scales it by +15 %
(a few years of load growth: electrification, data centres) and re-dates it so its first hour is
the hour after the last observed one. Ingested, it makes the monitor's current window look like
a hot, grown summer while the champion learnt the past: drift on every load feature.
"""

from __future__ import annotations

import pandas as pd

from gridflow import frames as f


def shifted_period(
    load: pd.DataFrame,
    start: str | pd.Timestamp,
    end: str | pd.Timestamp,
    factor: float = 1.15,
    tz: str = f.PJM_TZ,
) -> pd.DataFrame:
    """Rows of the canonical load frame `load` with local time in [start, end), load x `factor`,
    shifted by one constant UTC offset so the period starts one hour after `load`'s last hour.

    Hours stay contiguous in UTC, so lag features of the new period are complete; local time and
    the DST flag are recomputed in `tz` for the new instants. The weekday of each hour moves
    with the offset: pick `start` on the weekday of that next hour to keep the weekly shape.
    """
    if load.empty:
        raise ValueError("no load to build a scenario from")
    if factor <= 0:
        raise ValueError(f"factor must be positive, not {factor}")
    local = load[f.INTERVAL_START_LOCAL]
    period = load[(local >= pd.Timestamp(start)) & (local < pd.Timestamp(end))]
    if period.empty:
        raise ValueError(f"no load between {start} and {end} (local)")
    first_new = load[f.INTERVAL_START_UTC].max() + pd.Timedelta(hours=1)
    offset = first_new - period[f.INTERVAL_START_UTC].min()
    utc = (period[f.INTERVAL_START_UTC] + offset).reset_index(drop=True)
    local_new = utc.dt.tz_convert(tz)
    out = pd.DataFrame({
        f.ZONE: period[f.ZONE].reset_index(drop=True),
        f.INTERVAL_START_UTC: utc,
        f.INTERVAL_START_LOCAL: local_new.dt.tz_localize(None),
        f.IS_DST: [bool(ts.dst()) for ts in local_new],
        f.LOAD_MW: period[f.LOAD_MW].to_numpy(dtype="float64") * factor,
    })
    return out[f.LOAD_COLUMNS]
