"""Timestamp layouts of the simple `timestamp,kWh` meter file: which ones are accepted, and parsing.

Accepted (one layout per file):

* ISO 8601: ``2024-03-10T01:45``, ``2024-03-10 01:45:00``, optionally with an offset ``Z`` / ``-05:00``.
* ``MM/DD/YYYY HH:MM`` or ``MM/DD/YYYY HH:MM:SS``, month first (US), month/day/hour may be unpadded.
* ``MM/DD/YY HH:MM`` or ``MM/DD/YY HH:MM:SS``; ``YY`` 00-68 is 2000-2068 and 69-99 is 1969-1999
  (the POSIX ``%y`` rule).

Day-first dates (``DD/MM/YYYY``) are not accepted: a file of them whose days are all <= 12 cannot
be told from a month-first one, so rather than guess, only month-first slashes are read, and a
"month" above 12 is reported as a day-first date. Slashed layouts carry no offset: they are local
wall-clock time (DST resolved by `gridflow.sources.meters.dst`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

ISO = "ISO 8601"
US_LONG = "MM/DD/YYYY HH:MM[:SS]"
US_SHORT = "MM/DD/YY HH:MM[:SS]"
ACCEPTED = (f"{ISO} (2024-03-10T01:45[:00], optional offset Z or ±HH:MM)", US_LONG, US_SHORT)
ACCEPTED_TEXT = "accepted layouts: " + "; ".join(ACCEPTED)

_ISO_START = r"\d{4}-\d{2}-\d{2}"
_US = r"(\d{1,2})/(\d{1,2})/(\d{4}|\d{2}) +(\d{1,2}):(\d{2})(?::(\d{2}))?"
_OFFSET = r"(?:Z|[+-]\d\d:?\d\d)$"


@dataclass(frozen=True)
class Timestamps:
    """Parsed distinct timestamp strings: int64 ns each (UTC when `aware`, else naive wall clock).

    When `bad` is not empty the values at those positions could not be read and `problem` says why.
    """

    ns: np.ndarray
    aware: bool
    layout: str
    bad: np.ndarray  # positions into the input values
    problem: str = ""


def parse_timestamps(values: Sequence[str], years: tuple[int, int] = (1970, 2100)) -> Timestamps:
    """Read each distinct (stripped) timestamp string in the file's one accepted layout."""
    text = pd.Series(list(values), dtype=object).astype("string")
    n = len(text)
    empty = np.zeros(n, dtype="int64")
    is_iso = text.str.match(_ISO_START).fillna(False).to_numpy(dtype=bool)
    us = text.str.extract(f"^{_US}$")
    is_us = us[0].notna().to_numpy()
    four = (us[2].str.len() == 4).fillna(False).to_numpy(dtype=bool)
    kinds = {ISO: is_iso, US_LONG: is_us & four, US_SHORT: is_us & ~four}
    known = is_iso | is_us
    if not known.all():
        return _failed(empty, ~known, "is not in an accepted layout")
    present = sorted((name for name, mask in kinds.items() if mask.any()), key=lambda name: int(kinds[name].sum()))
    if len(present) > 1:
        # The rarer layout is the odd one out; name its values.
        minority, majority = present[0], present[-1]
        return _failed(empty, kinds[minority], f"is {minority} but the file's other timestamps are "
                                               f"{majority}; use one layout per file")
    layout = present[0] if present else ISO
    if layout == ISO:
        return _iso(text, empty, years)
    return _slashed(us, layout, empty, years)


def _iso(text: pd.Series, empty: np.ndarray, years: tuple[int, int]) -> Timestamps:
    aware = text.str.contains(_OFFSET, regex=True).fillna(False).to_numpy(dtype=bool)
    if aware.any() and not aware.all():
        # Name the rarer kind: one stray offset in a local file, or one local time among instants.
        if aware.sum() * 2 < len(aware):
            return _failed(empty, aware, "has a UTC offset while others have none; use one or the other")
        return _failed(empty, ~aware, "has no UTC offset while others have one; use one or the other")
    parsed = pd.to_datetime(text.astype(object), format="ISO8601", errors="coerce", utc=bool(aware.any()))
    bad = _out_of_range(parsed, years)
    if bad.any():
        return _failed(empty, bad, f"is not an {ISO} time between {years[0]} and {years[1]}")
    if aware.any():
        parsed = parsed.dt.tz_convert("UTC").dt.tz_localize(None)
    return Timestamps(parsed.dt.as_unit("ns").astype("int64").to_numpy(), bool(aware.any()), ISO,
                      np.zeros(0, dtype="int64"))


def _slashed(us: pd.DataFrame, layout: str, empty: np.ndarray, years: tuple[int, int]) -> Timestamps:
    month, day, year, hour, minute = (pd.to_numeric(us[i]).to_numpy(dtype="int64") for i in range(5))
    second = pd.to_numeric(us[5].fillna("0")).to_numpy(dtype="int64")
    if layout == US_SHORT:
        year = np.where(year <= 68, 2000 + year, 1900 + year)
    day_first = (month > 12) & (day <= 12)
    if day_first.any():
        return _failed(empty, day_first, f"has month {int(month[day_first][0])}: day-first dates (DD/MM) are "
                                         f"not accepted, dates are month first ({layout})")
    date = pd.to_datetime(pd.DataFrame({"year": year, "month": month, "day": day}), errors="coerce")
    clock = (hour < 24) & (minute < 60) & (second < 60)
    bad = _out_of_range(date, years) | ~clock
    if bad.any():
        return _failed(empty, bad, f"is not a valid {layout} time between {years[0]} and {years[1]}")
    ns = date.dt.as_unit("ns").astype("int64").to_numpy() + ((hour * 60 + minute) * 60 + second) * 1_000_000_000
    return Timestamps(ns, False, layout, np.zeros(0, dtype="int64"))


def _out_of_range(parsed: pd.Series, years: tuple[int, int]) -> np.ndarray:
    year = parsed.dt.year
    return (parsed.isna() | (year < years[0]) | (year > years[1])).to_numpy(dtype=bool)


def _failed(empty: np.ndarray, bad: np.ndarray, problem: str) -> Timestamps:
    return Timestamps(empty, False, "", np.flatnonzero(bad), problem)
