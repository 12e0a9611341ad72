"""Wall clock -> UTC for interval meter data, vectorised, with file-order DST resolution.

Meter exports label intervals in local prevailing time. On the fall-back day the hour 01:00-02:00
happens twice with the same labels; the exports list the daylight pass first, so the first
occurrence of a label (per meter and channel) is daylight time and any later one standard time.
Labels inside the spring-forward gap do not exist.

Offsets are looked up on a 15-minute grid spanning the data (about 35k points per year) instead
of per row, which keeps localisation a pair of array gathers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd

from gridflow.errors import ConfigError

_STEP_NS = 15 * 60 * 1_000_000_000
_MAX_SPAN_STEPS = 40 * 366 * 96  # 40 years of quarter hours: a bound on the lookup grid


@dataclass(frozen=True)
class Localized:
    """Instants for wall-clock labels, plus masks a parser turns into errors or issues."""

    utc_ns: np.ndarray  # int64; meaningless where `nonexistent`
    is_dst: np.ndarray  # bool
    nonexistent: np.ndarray  # bool: label falls in the spring-forward gap
    repeated: np.ndarray  # bool: a later occurrence of an ambiguous label, taken as standard time
    ambiguous: np.ndarray  # bool: the label lies in the repeated fall-back hour
    ambiguous_once: int  # ambiguous labels seen only once in their series (taken as daylight)


class SpanTooLarge(ValueError):
    """The timestamps span more than the lookup grid allows (a sign of garbage dates)."""


def localize(local_ns: np.ndarray, series: np.ndarray, tz: str) -> Localized:
    """Convert naive local nanoseconds to UTC nanoseconds in `tz`.

    `series` (int64 per row) identifies the meter/channel; an ambiguous label's occurrences are
    counted per series in row order (first = daylight time, later = standard time).
    """
    local_ns = np.asarray(local_ns, dtype="int64")
    n = len(local_ns)
    if n == 0:
        empty = np.zeros(0, dtype=bool)
        return Localized(np.zeros(0, dtype="int64"), empty, empty, empty, empty, 0)
    lo = int(local_ns.min()) // _STEP_NS
    hi = int(local_ns.max()) // _STEP_NS
    if hi - lo > _MAX_SPAN_STEPS:
        raise SpanTooLarge(f"timestamps span more than 40 years ({pd.Timestamp(lo * _STEP_NS)} .. "
                           f"{pd.Timestamp(hi * _STEP_NS)})")
    gap, off_dst, off_std = _offset_grid(lo, hi, tz)
    ambiguous_grid = off_dst != off_std
    standard_ns = standard_offset_ns(tz)

    g = local_ns // _STEP_NS - lo
    nonexistent = gap[g]
    offset = off_dst[g]
    repeated = np.zeros(n, dtype=bool)
    ambiguous_once = 0
    ambiguous = ambiguous_grid[g]
    amb_rows = np.flatnonzero(ambiguous)
    if len(amb_rows):
        # Few rows (four quarter hours a year per series): pandas groupby is fine here.
        sub = pd.DataFrame({"s": np.asarray(series)[amb_rows], "t": local_ns[amb_rows]})
        occurrence = sub.groupby(["s", "t"], sort=False).cumcount().to_numpy()
        counts = sub.groupby(["s", "t"], sort=False)["t"].transform("size").to_numpy()
        later = amb_rows[occurrence >= 1]
        repeated[later] = True
        offset[later] = off_std[g[later]]
        ambiguous_once = int((counts == 1).sum())
    utc_ns = local_ns - offset
    is_dst = (offset != standard_ns) & ~nonexistent
    return Localized(utc_ns, is_dst, nonexistent, repeated, ambiguous, ambiguous_once)


@lru_cache(maxsize=16)
def _offset_grid(lo: int, hi: int, tz: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(in the spring-forward gap, offset read as daylight, offset read as standard) per grid step.

    Cached: the files of one drop usually cover the same span, and two tz_localize calls over a
    year's grid cost more than parsing the rest of a meter-year.
    """
    grid = pd.DatetimeIndex((np.arange(lo, hi + 1, dtype="int64") * _STEP_NS).view("M8[ns]"))
    size = len(grid)
    as_dst = grid.tz_localize(tz, ambiguous=np.ones(size, dtype=bool), nonexistent="NaT")
    as_std = grid.tz_localize(tz, ambiguous=np.zeros(size, dtype=bool), nonexistent="NaT")
    gap = np.asarray(as_dst.isna())
    grid_ns = grid.asi8
    off_dst = np.where(gap, 0, grid_ns - np.where(gap, 0, as_dst.asi8))
    off_std = np.where(gap, 0, grid_ns - np.where(gap, 0, as_std.asi8))
    for array in (gap, off_dst, off_std):
        array.flags.writeable = False  # shared by every caller through the cache
    return gap, off_dst, off_std


def quarter_hours_per_day(day_ns: np.ndarray, tz: str, minutes: int = 15) -> np.ndarray:
    """How many `minutes` intervals each local civil day (naive midnight, ns) has: 96 normally,
    92 on spring-forward and 100 on fall-back days for 15-minute data."""
    days = pd.DatetimeIndex(np.asarray(day_ns, dtype="int64").view("M8[ns]"))
    start = days.tz_localize(tz, ambiguous="NaT", nonexistent="shift_forward").asi8
    end = (days + pd.Timedelta(days=1)).tz_localize(tz, ambiguous="NaT", nonexistent="shift_forward").asi8
    return (end - start) // (minutes * 60 * 1_000_000_000)


def wall_clock(utc_ns: np.ndarray, tz: str) -> tuple[np.ndarray, np.ndarray]:
    """(naive local wall clock ns, is_dst) in `tz` for exact UTC instants (ns)."""
    utc_ns = np.asarray(utc_ns, dtype="int64")
    local = pd.DatetimeIndex(utc_ns.view("M8[ns]")).tz_localize("UTC").tz_convert(tz)
    local_ns = local.tz_localize(None).asi8
    return local_ns, (local_ns - utc_ns) != standard_offset_ns(tz)


def check_zone(tz: str) -> str:
    """`tz` when it is an IANA zone name this machine knows; ConfigError otherwise."""
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"unknown time zone {tz!r} for meter files (an IANA name such as "
                          "Australia/Sydney or America/Chicago)") from None
    return tz


def standard_offset_ns(tz: str) -> int:
    """The zone's standard-time UTC offset (local minus UTC) in nanoseconds."""
    probe = datetime(2001, 1, 15, tzinfo=ZoneInfo(tz))
    return int((probe.utcoffset() - probe.dst()).total_seconds()) * 1_000_000_000
