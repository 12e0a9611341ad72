"""Column contract of the canonical frames passed between parsers, warehouse and features."""

from __future__ import annotations

import pandas as pd

# Hourly load observations. One row per (zone, interval_start_utc).
ZONE = "zone"
INTERVAL_START_UTC = "interval_start_utc"  # datetime64[ns, UTC]
INTERVAL_START_LOCAL = "interval_start_local"  # naive wall-clock time in the market's zone
IS_DST = "is_dst"  # True when the local wall clock was on daylight saving time
LOAD_MW = "load_mw"  # float64

LOAD_COLUMNS = [ZONE, INTERVAL_START_UTC, INTERVAL_START_LOCAL, IS_DST, LOAD_MW]
LOAD_KEY = [ZONE, INTERVAL_START_UTC]

# PJM publishes in Eastern Prevailing Time; ERCOT in Central Prevailing Time.
PJM_TZ = "America/New_York"
ERCOT_TZ = "America/Chicago"


def empty_load_frame() -> pd.DataFrame:
    """An empty frame with the canonical load columns and dtypes."""
    return pd.DataFrame(
        {
            ZONE: pd.Series(dtype="string"),
            INTERVAL_START_UTC: pd.Series(dtype="datetime64[ns, UTC]"),
            INTERVAL_START_LOCAL: pd.Series(dtype="datetime64[ns]"),
            IS_DST: pd.Series(dtype="bool"),
            LOAD_MW: pd.Series(dtype="float64"),
        }
    )
