"""Long meter CSV (`meter,timestamp,kWh`, many meters per file) -> canonical meter frame.

The layout of meter data pooled from many households (the shipped SGSC trial, `data/meters/sgsc/`).
Rules, as the simple `timestamp,kWh` file (`simple`) except where said:

* `meter` is the meter id, as written (surrounding spaces stripped); it may not be empty.
* The timestamp is the interval START, in one layout per file (see `timestamps`). With an offset
  on every timestamp (`2013-04-07T02:00:00+10:00`) each is an exact instant, whatever its wall
  clock says; the local wall clock and DST flag kept beside UTC are those of `tz` at that instant.
  Without offsets timestamps are local wall clock in `tz`; a label inside the repeated fall-back
  hour is then ambiguous and rejected (many meters per file: file order cannot tell the two
  passes apart), as is one inside the spring-forward gap.
* The interval length (5, 15, 30 or 60 minutes) is inferred per meter, as for a simple file.
* Blank kWh is a missing reading (dropped, reported). Text, non-finite or negative kWh, bad
  timestamps, one (meter, instant) twice with different kWh, a wrong field count and a cut-off
  last line raise ParseError naming the lines and values; exact repeats are dropped and reported.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gridflow.errors import ParseError
from gridflow.frames import ERCOT_TZ
from gridflow.ingest.contract import Parsed
from gridflow.sources.meters import csvread, dst, simple
from gridflow.sources.meters.frame import CONSUMPTION, build_meter_frame, empty_meter_frame
from gridflow.sources.meters.simple import ALLOWED_MINUTES, drop_repeats, infer_minutes

FORMAT = "long_meter_timestamp_kwh"
HEADER = "meter,timestamp,kWh"
_NAMES = ["meter", "timestamp", "kwh"]


def parse_long(data: bytes, source: str, tz: str = ERCOT_TZ) -> Parsed:
    """Parse the bytes of a `meter,timestamp,kWh` file into a `Parsed` (one series per meter)."""
    rows = simple.read_rows(data, source, _NAMES, HEADER)
    if rows is None:
        return Parsed(empty_meter_frame(), ["no data rows"], 0, FORMAT)
    table, fail, kwh, row_ns, blank, issues = rows.table, rows.fail, rows.kwh, rows.row_ns, rows.blank, rows.issues
    meter_col = table.columns["meter"]
    if "" in meter_col.values:
        raise fail(meter_col.codes == meter_col.values.index(""), "meter id is empty")
    remap, meters = pd.factorize(pd.Index(meter_col.values))  # stripped values may coincide
    meter = remap[meter_col.codes].astype("int64")
    ts = rows.timestamps
    if rows.aware:
        utc_ns = row_ns
        local_ns, is_dst = dst.wall_clock(utc_ns, tz)
    else:
        local_ns = row_ns
        loc = dst.localize(local_ns, meter, tz)
        if (loc.nonexistent & ~blank).any():
            raise fail(loc.nonexistent & ~blank, f"local time {_shown(ts, loc.nonexistent & ~blank)} does not "
                                                 f"exist in {tz} (spring-forward gap)")
        if (loc.ambiguous & ~blank).any():
            raise fail(loc.ambiguous & ~blank, f"local time {_shown(ts, loc.ambiguous & ~blank)} lies in the "
                                               f"repeated fall-back hour of {tz} and has no UTC offset: "
                                               "ambiguous; write every timestamp with its offset")
        utc_ns, is_dst = loc.utc_ns, loc.is_dst

    keep = drop_repeats(table, np.flatnonzero(~blank), [meter, utc_ns], kwh, fail, issues)
    minutes = _minutes_per_meter(meter[keep], utc_ns[keep], meters, issues)
    odd = ~np.isin(minutes, ALLOWED_MINUTES) & (np.bincount(meter[keep], minlength=len(meters)) > 0)
    if odd.any():
        shown = ", ".join(f"{meters[i]} ({minutes[i]} min)" for i in np.flatnonzero(odd)[:3])
        raise ParseError(source, f"interval length of meter {shown} is not one of {ALLOWED_MINUTES}")
    frame = build_meter_frame(
        meter_id=pd.Categorical.from_codes(meter[keep], categories=meters.astype(str)),
        channel=np.full(len(keep), CONSUMPTION, dtype=object),
        utc_ns=utc_ns[keep], minutes=minutes[meter[keep]], local_ns=local_ns[keep], is_dst=is_dst[keep],
        kwh=kwh[keep], is_estimated=False,
    )
    return Parsed(frame, issues, table.rows, FORMAT)


def _minutes_per_meter(meter: np.ndarray, utc_ns: np.ndarray, meters: pd.Index, issues: list[str]) -> np.ndarray:
    """Interval minutes per meter code, inferred from that meter's own readings (as a simple file)."""
    out = np.zeros(len(meters), dtype="int64")
    order = np.lexsort((utc_ns, meter))
    bounds = np.flatnonzero(np.diff(meter[order])) + 1
    for chunk in np.split(order, bounds):
        if len(chunk) == 0:
            continue
        own: list[str] = []
        code = int(meter[chunk[0]])
        out[code] = infer_minutes(utc_ns[chunk], own)
        issues.extend(f"meter {meters[code]}: {text}" for text in own)
    return out


def _shown(column: csvread.Column, rows: np.ndarray) -> str:
    codes = pd.unique(column.codes[rows])[:3]
    return ", ".join(repr(column.values[c]) for c in codes)
