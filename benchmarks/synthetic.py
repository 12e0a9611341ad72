"""Synthetic hourly load with daily, weekly and yearly cycles, in the canonical load frame."""

from __future__ import annotations

import numpy as np
import pandas as pd

from gridflow import frames as f


def synthetic_hourly_load(rows: int, zones: int = 10, seed: int = 0, start: str = "2005-01-01") -> pd.DataFrame:
    """`rows` hourly observations spread over `zones` zones, ending before today."""
    rng = np.random.default_rng(seed)
    per_zone = rows // zones
    utc = pd.date_range(start, periods=per_zone, freq="h", tz="UTC")
    local = utc.tz_convert(f.PJM_TZ)
    hour = local.hour.to_numpy()
    dow = local.dayofweek.to_numpy()
    doy = local.dayofyear.to_numpy()
    is_dst = np.array([bool(t.dst()) for t in local[:: 24 * 7]]).repeat(24 * 7)[:per_zone]
    parts = []
    for z in range(zones):
        level = 5_000 + 3_000 * z
        shape = (
            1.0
            + 0.25 * np.sin((hour - 7) / 24 * 2 * np.pi)
            - 0.08 * (dow >= 5)
            + 0.15 * np.cos((doy - 200) / 365.25 * 2 * np.pi)
        )
        noise = rng.normal(0, 0.02, per_zone).cumsum() * 0.05 + rng.normal(0, 0.02, per_zone)
        parts.append(pd.DataFrame({
            f.ZONE: pd.array([f"Z{z:02d}"] * per_zone, dtype="string"),
            f.INTERVAL_START_UTC: utc,
            f.INTERVAL_START_LOCAL: local.tz_localize(None),
            f.IS_DST: is_dst,
            f.LOAD_MW: level * (shape + noise),
        }))
    return pd.concat(parts, ignore_index=True)
