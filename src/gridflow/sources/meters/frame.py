"""The canonical meter frame: columns of warehouse table `meter_interval` minus ingest bookkeeping.

Every meter parser returns a `gridflow.ingest.contract.Parsed`: the frame, human-readable
`issues` (gaps, DST decisions, dropped duplicates), data rows read and the detected format.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

METER_ID = "meter_id"
CHANNEL = "channel"  # "consumption" (delivered to the customer) | "generation" (exported)
INTERVAL_START_UTC = "interval_start_utc"  # datetime64[ns, UTC]
INTERVAL_MINUTES = "interval_minutes"  # int64
INTERVAL_START_LOCAL = "interval_start_local"  # naive wall clock in the meter's zone
IS_DST = "is_dst"
KWH = "kwh"  # float64, >= 0 on both channels
IS_ESTIMATED = "is_estimated"

METER_COLUMNS = [METER_ID, CHANNEL, INTERVAL_START_UTC, INTERVAL_MINUTES, INTERVAL_START_LOCAL,
                 IS_DST, KWH, IS_ESTIMATED]
METER_KEY = [METER_ID, CHANNEL, INTERVAL_START_UTC]
CONSUMPTION = "consumption"
GENERATION = "generation"

# Operators read issues in logs and the ledger: quote a few examples, never thousands.
MAX_EXAMPLES = 5


def empty_meter_frame() -> pd.DataFrame:
    """An empty frame with the canonical meter columns and dtypes."""
    return build_meter_frame(
        meter_id=np.array([], dtype=object), channel=np.array([], dtype=object),
        utc_ns=np.array([], dtype="int64"), minutes=np.array([], dtype="int64"),
        local_ns=np.array([], dtype="int64"), is_dst=np.array([], dtype=bool),
        kwh=np.array([], dtype="float64"), is_estimated=np.array([], dtype=bool),
    )


def build_meter_frame(*, meter_id, channel, utc_ns, minutes, local_ns, is_dst, kwh, is_estimated
                      ) -> pd.DataFrame:
    """Assemble the canonical frame from arrays (instants and wall clocks as int64 nanoseconds).

    `meter_id`/`channel` may be categoricals: repeated strings cost a code, not an object each.
    """
    n = len(utc_ns)

    def _strings(values):
        if isinstance(values, pd.Categorical):
            return values
        return pd.array(np.asarray(values, dtype=object), dtype="string") if n else pd.array([], dtype="string")

    return pd.DataFrame({
        METER_ID: _strings(meter_id),
        CHANNEL: _strings(channel),
        INTERVAL_START_UTC: pd.DatetimeIndex(np.asarray(utc_ns, dtype="int64").view("M8[ns]")).tz_localize("UTC"),
        INTERVAL_MINUTES: np.broadcast_to(np.asarray(minutes, dtype="int64"), (n,)).copy(),
        INTERVAL_START_LOCAL: np.asarray(local_ns, dtype="int64").view("M8[ns]"),
        IS_DST: np.asarray(is_dst, dtype=bool),
        KWH: np.asarray(kwh, dtype="float64"),
        IS_ESTIMATED: np.broadcast_to(np.asarray(is_estimated, dtype=bool), (n,)).copy(),
    })


def examples(lines, limit: int = MAX_EXAMPLES) -> str:
    """`'12, 40, 41 (and 7 more)'`: a few line numbers for a message."""
    lines = [int(x) for x in lines]
    shown = ", ".join(str(x) for x in lines[:limit])
    extra = len(lines) - limit
    return shown + (f" (and {extra} more)" if extra > 0 else "")
