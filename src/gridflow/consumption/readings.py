"""Half-hourly consumption given as (meter, UTC instant, kWh), put in the canonical meter frame."""

from __future__ import annotations

import numpy as np
import pandas as pd

from gridflow.sources.meters.frame import CONSUMPTION, build_meter_frame


def consumption_frame(meter_id, interval_start_utc, kwh, tz: str, minutes: int = 30) -> pd.DataFrame:
    """The canonical frame of consumption readings whose starts are UTC instants, with the local
    wall clock and DST flag of `tz`."""
    utc = pd.DatetimeIndex(pd.to_datetime(interval_start_utc, utc=True)).as_unit("ns")
    local = utc.tz_convert(tz)
    offset = local.tz_localize(None) - utc.tz_localize(None)
    # DST is on where the offset exceeds the zone's standard (smallest of the year) offset.
    standard = min(pd.Timestamp(f"{y}-{m:02d}-01", tz=tz).utcoffset() for y in {utc.min().year} for m in (1, 7))
    return build_meter_frame(
        meter_id=pd.Categorical(np.asarray(meter_id, dtype=object)),
        channel=pd.Categorical(np.full(len(utc), CONSUMPTION, dtype=object)),
        utc_ns=utc.asi8, minutes=minutes, local_ns=local.tz_localize(None).asi8,
        is_dst=np.asarray(offset > standard), kwh=np.asarray(kwh, dtype="float64"),
        is_estimated=np.zeros(len(utc), dtype=bool),
    )
