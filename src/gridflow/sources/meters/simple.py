"""Simple two-column meter CSV (`timestamp,kWh`) -> canonical meter frame.

The users' documents pass readings around as `timestamp,kWh`. Rules:

* The timestamp is the interval START, in one layout per file (see `timestamps`): ISO 8601,
  `MM/DD/YYYY HH:MM[:SS]` or `MM/DD/YY HH:MM[:SS]`. Either every timestamp carries an offset (`Z`,
  `+00:00`, `-05:00`: exact instants, ISO only) or none does (local wall clock in `tz`, America/Chicago
  by default; a repeated fall-back label is daylight time first, standard time second, by file order).
* The interval length is the most common step between readings (5, 15, 30 or 60 minutes) unless
  given. One channel (consumption), readings are actual.
* Blank kWh is not a reading (dropped, reported). Non-numeric or negative kWh, bad timestamps,
  local times inside the spring-forward gap, a repeated timestamp with a different reading and a
  cut-off last line raise ParseError naming the lines; exact repeats are dropped and reported.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from gridflow.errors import ParseError
from gridflow.frames import ERCOT_TZ
from gridflow.ingest.contract import Parsed
from gridflow.sources.meters import csvread, dst, timestamps
from gridflow.sources.meters.frame import CONSUMPTION, build_meter_frame, empty_meter_frame, examples

FORMAT = "simple_timestamp_kwh"
HEADER = "timestamp,kWh"
ALLOWED_MINUTES = (5, 15, 30, 60)
_NAMES = ["timestamp", "kwh"]
_NS_MIN = 60 * 1_000_000_000
_YEARS = (1970, 2100)  # readings outside this range are garbage, not history


def parse_simple(data: bytes, source: str, meter_id: str, tz: str = ERCOT_TZ,
                 interval_minutes: int | None = None) -> Parsed:
    """Parse the bytes of a `timestamp,kWh` file for `meter_id` into a `Parsed`."""
    rows = read_rows(data, source, _NAMES, HEADER)
    if rows is None:
        return Parsed(empty_meter_frame(), ["no data rows"], 0, FORMAT)
    table, fail, kwh, row_ns, blank, issues = rows.table, rows.fail, rows.kwh, rows.row_ns, rows.blank, rows.issues
    if rows.aware:
        utc_ns = row_ns
        local_ns, is_dst = dst.wall_clock(utc_ns, tz)
    else:
        local_ns = row_ns
        loc = dst.localize(local_ns, np.zeros(len(row_ns), dtype="int64"), tz)
        if (loc.nonexistent & ~blank).any():
            raise fail(loc.nonexistent & ~blank, f"local time does not exist in {tz} (spring-forward gap)")
        if loc.repeated.any():
            issues.append(f"{int(loc.repeated.sum())} repeated fall-back label(s) taken as standard time "
                          "by file order")
        utc_ns, is_dst = loc.utc_ns, loc.is_dst

    keep = drop_repeats(table, np.flatnonzero(~blank), [utc_ns], kwh, fail, issues)

    minutes = interval_minutes or infer_minutes(utc_ns[keep], issues)
    if minutes not in ALLOWED_MINUTES:
        raise ParseError(source, f"interval length {minutes} min is not one of {ALLOWED_MINUTES}")
    frame = build_meter_frame(
        meter_id=np.full(len(keep), meter_id, dtype=object),
        channel=np.full(len(keep), CONSUMPTION, dtype=object),
        utc_ns=utc_ns[keep], minutes=minutes, local_ns=local_ns[keep], is_dst=is_dst[keep],
        kwh=kwh[keep], is_estimated=False,
    )
    return Parsed(frame, issues, table.rows, FORMAT)


@dataclass(frozen=True)
class Rows:
    """The data rows of a `timestamp,kWh`-style file read and checked (what `simple` and `long` share)."""

    table: csvread.RawTable
    fail: Callable[[np.ndarray, str], ParseError]  # (rows mask, message) -> error naming the lines
    kwh: np.ndarray  # per row, NaN where blank
    blank: np.ndarray  # per row: no reading
    row_ns: np.ndarray  # per row: UTC ns when `aware`, else naive wall clock ns
    aware: bool
    timestamps: csvread.Column
    issues: list[str]


def read_rows(data: bytes, source: str, names: list[str], header: str) -> Rows | None:
    """Check the header (any case) is `names`, read the rows, their kWh and timestamps (ParseError
    naming lines and values); None for a file without data rows. Blank kWh are reported."""
    found = csvread.split_header(csvread.header_line(data))
    if [n.lower() for n in found] != names:
        raise ParseError(source, f"line 1: header {','.join(found)!r} is not {header!r}")
    table = csvread.read_dictionary_table(data, names, source, floats=("kwh",))
    if table.rows == 0:
        return None

    def fail(mask: np.ndarray, message: str) -> ParseError:
        lines = csvread.row_lines(table, mask)
        return ParseError(source, f"line {examples(lines)}: {message}{csvread.truncation_hint(table, lines)}")

    kwh = read_kwh(table, fail)
    ts = table.columns["timestamp"]
    stamps = timestamps.parse_timestamps(ts.values, _YEARS)
    if len(stamps.bad):
        shown = ", ".join(repr(ts.values[i]) for i in stamps.bad[:3])
        raise fail(np.isin(ts.codes, stamps.bad), f"timestamp {shown} {stamps.problem} "
                                                  f"({timestamps.ACCEPTED_TEXT})")
    blank = np.isnan(kwh)
    issues: list[str] = []
    if blank.any():
        issues.append(f"{int(blank.sum())} blank kWh value(s) dropped: missing readings "
                      f"(lines {examples(csvread.row_lines(table, blank))})")
    return Rows(table, fail, kwh, blank, stamps.ns[ts.codes], stamps.aware, ts, issues)


def infer_minutes(utc_ns: np.ndarray, issues: list[str]) -> int:
    """The interval length of one meter's sorted-or-not instants (ns); a gap is reported in `issues`."""
    # The longest allowed length that divides every step: gaps stay gaps, never longer intervals.
    steps = np.diff(np.sort(utc_ns)) // _NS_MIN
    steps = steps[steps > 0]
    if len(steps) == 0:
        issues.append("a single reading: interval length taken as 15 minutes")
        return 15
    common = int(np.gcd.reduce(steps))
    fitting = [m for m in ALLOWED_MINUTES if common % m == 0]
    if not fitting:
        return common
    minutes = fitting[-1]
    gaps = int((steps != minutes).sum())
    if gaps:
        issues.append(f"{gaps} gap(s) longer than one {minutes}-minute interval between readings")
    return minutes


def read_kwh(table: csvread.RawTable, fail) -> np.ndarray:
    """kWh per row of the table's `kwh` column (NaN for a blank); `fail(mask, message)` builds the
    ParseError for text, infinite or negative values."""
    kwh_col = table.columns["kwh"]
    if kwh_col.values:  # pyarrow met a value it cannot parse
        bad = [i for i, v in enumerate(kwh_col.values) if not _is_number(v)]
        if bad:
            shown = ", ".join(repr(kwh_col.values[i]) for i in bad[:3])
            raise fail(np.isin(kwh_col.codes, bad), f"kWh {shown} is not a number (only a blank value is a "
                                                   "missing reading)")
        kwh = np.array([float(v) if v else np.nan for v in kwh_col.values], dtype="float64")[kwh_col.codes]
    else:
        kwh = kwh_col.codes.astype("float64")
    if np.isinf(kwh).any():
        raise fail(np.isinf(kwh), "kWh is not a finite number")
    if (kwh < 0).any():
        raise fail(kwh < 0, "negative kWh: a meter's consumption reading cannot be below zero")
    return kwh


def drop_repeats(table: csvread.RawTable, keep: np.ndarray, keys: list[np.ndarray], kwh: np.ndarray, fail,
                 issues: list[str]) -> np.ndarray:
    """The rows of `keep` with each key (per-row arrays in `keys`) once: exact repeats are dropped and
    reported; one key with different kWh is a ParseError naming the lines."""
    parts = [np.asarray(k)[keep] for k in keys]
    dup = (pd.Index(parts[0]).duplicated(keep=False) if len(parts) == 1
           else pd.MultiIndex.from_arrays(parts).duplicated(keep=False))
    if not dup.any():
        return keep
    names = [f"k{i}" for i in range(len(parts))]
    d = pd.DataFrame({"row": keep[dup], **{n: p[dup] for n, p in zip(names, parts, strict=True)},
                      "kwh": kwh[keep][dup]})
    conflict = d.groupby(names)["kwh"].transform("nunique") > 1
    if conflict.any():
        mask = np.zeros(table.rows, dtype=bool)
        mask[d.loc[conflict, "row"].to_numpy()] = True
        raise fail(mask, "the same timestamp appears more than once with different kWh")
    dropped = d[d.duplicated(names, keep="first")]["row"].to_numpy()
    issues.append(f"{len(dropped)} repeated row(s) dropped (lines "
                  f"{examples(csvread.row_lines(table, dropped))})")
    return np.setdiff1d(keep, dropped)


def _is_number(value: str) -> bool:
    # Blank is a missing reading; "nan"/"inf" parse as floats but are text, not readings.
    if value == "":
        return True
    try:
        return bool(np.isfinite(float(value)))
    except ValueError:
        return False
