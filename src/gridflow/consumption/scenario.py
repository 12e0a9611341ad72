"""Demo and test scenario for the household monitor: the last weeks of readings, grown and moved to
just after the data ends (the meters' counterpart of gridflow.monitoring.scenario).

`grown_copy(readings, days=28, factor=1.5, tz=...)` copies every meter's last 28 local days, scales
their kWh by 1.5 (a street of new EVs, heat pumps or a heat wave) and re-dates them so they start
one half-hour after the last reading. Written to `meter_interval`, the monitor's window then holds
only grown consumption while the champion learnt the past: drift on the consumption features and a
worse household MAE.
"""

from __future__ import annotations

import pandas as pd

from gridflow.consumption.readings import consumption_frame
from gridflow.sources.meters.frame import INTERVAL_START_LOCAL, INTERVAL_START_UTC, KWH, METER_ID

HALF_HOUR = pd.Timedelta(minutes=30)


def grown_copy(readings: pd.DataFrame, days: int, factor: float, tz: str) -> pd.DataFrame:
    """The canonical frame of the last `days` local days of `readings` with kWh x `factor`, shifted by
    one constant UTC offset so they start one half-hour after the last reading (UTC-contiguous, so
    the copy's lags are complete; local time and DST are recomputed in `tz`)."""
    if readings.empty:
        raise ValueError("no readings to build a scenario from")
    if days < 1 or factor <= 0:
        raise ValueError(f"days must be >= 1 and factor positive, not {days} and {factor}")
    local_day = pd.DatetimeIndex(readings[INTERVAL_START_LOCAL]).normalize()
    period = readings[local_day >= local_day.max() - pd.Timedelta(days=days - 1)]
    utc = pd.DatetimeIndex(period[INTERVAL_START_UTC])
    offset = pd.DatetimeIndex(readings[INTERVAL_START_UTC]).max() + HALF_HOUR - utc.min()
    return consumption_frame(period[METER_ID].astype(str).to_numpy(), utc + offset,
                             period[KWH].to_numpy(dtype="float64") * factor, tz)
