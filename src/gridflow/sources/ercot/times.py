"""ERCOT operating-day labels (DeliveryDate + HourEnding + DSTFlag) <-> exact UTC instants.

Conventions (docs/data-formats.md §1.5):

* Times are Central Prevailing Time (America/Chicago). HourEnding ``"01:00"`` is 00:00-01:00, so
  the interval starts at ``DeliveryDate + (HE - 1) h``; ``"24:00"`` starts at 23:00 the same day.
  HourEnding also comes unpadded (``"1:00"``, report NP3-561) and as a bare integer (``"1"``).
* Spring forward: the label ``"03:00"`` does not exist (02:00-03:00 local is skipped).
* Fall back: ``"02:00"`` appears twice. MIS CSV convention, as implemented and tested against
  real files by gridstatus: ``DSTFlag = "Y"`` marks the *repeated* hour, i.e. the second one,
  on standard time (CST); ``"N"`` is the first one, still on daylight time (CDT). So
  ``is_dst`` is NOT the DSTFlag: ``DSTFlag=Y`` means ``is_dst=False``. docs/data-formats.md records one
  third-party test on the *Public API JSON* that reads ``DSTFlag=true`` the other way round;
  that is a different product (booleans, not Y/N) and we follow the MIS CSV convention here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from gridflow.errors import ParseError
from gridflow.frames import ERCOT_TZ

_HOUR = pd.Timedelta(hours=1)
# America/Chicago standard offset; daylight time is one hour less behind UTC.
_CST_OFFSET = pd.Timedelta(hours=-6)
_MAX_EXAMPLES = 5


@dataclass(frozen=True)
class ErcotTimes:
    """Converted times, one entry per input row."""

    interval_start_utc: pd.DatetimeIndex  # tz-aware UTC
    interval_start_local: pd.DatetimeIndex  # naive Central wall clock
    is_dst: np.ndarray  # bool


def parse_hour_ending(labels: pd.Series, source: str, lines: Sequence[int] | None = None) -> np.ndarray:
    """HourEnding labels ("01:00".."24:00", "1:00", "1".."24") -> int array 1..24; ParseError otherwise."""
    text = labels.astype("string").str.strip()
    match = text.str.fullmatch(r"(\d{1,2})(?::00)?")
    hours = pd.to_numeric(text.str.extract(r"^(\d{1,2})", expand=False), errors="coerce")
    bad = ~(match.fillna(False).astype(bool)) | hours.isna() | (hours < 1) | (hours > 24)
    if bad.any():
        _raise_examples(source, "HourEnding must be 01:00..24:00 (or 1..24)", labels, bad.to_numpy(), lines)
    return hours.to_numpy(dtype="int64")


def parse_delivery_date(labels: pd.Series, source: str, column: str = "DeliveryDate",
                        lines: Sequence[int] | None = None) -> pd.DatetimeIndex:
    """MM/DD/YYYY strings -> naive midnight timestamps; ParseError naming the first bad lines."""
    text = labels.astype("string").str.strip()
    dates = pd.to_datetime(text, format="%m/%d/%Y", errors="coerce")
    bad = dates.isna().to_numpy()
    if bad.any():
        _raise_examples(source, f"{column} must be MM/DD/YYYY", labels, bad, lines)
    return pd.DatetimeIndex(dates)


def parse_dst_flag(labels: pd.Series | None, n: int, source: str,
                   lines: Sequence[int] | None = None) -> np.ndarray | None:
    """DSTFlag Y/N -> bool array (True = the repeated hour); None when the file has no flag column."""
    if labels is None:
        return None
    text = labels.astype("string").str.strip().str.upper()
    bad = ~text.isin(["Y", "N"]).fillna(False).to_numpy()
    if bad.any():
        _raise_examples(source, "DSTFlag must be Y or N", labels, bad, lines)
    return (text == "Y").to_numpy(dtype=bool)


def to_utc(dates: pd.DatetimeIndex, hour_ending: np.ndarray, repeated: np.ndarray | None,
           group: Sequence[object] | None, source: str, lines: Sequence[int] | None = None) -> ErcotTimes:
    """Exact UTC interval starts from operating-day labels (see the module docstring).

    `repeated` is the parsed DSTFlag (None: no flag column). `group` identifies the series of each
    row (settlement point, zone): within one series, two rows on the same fall-back local hour
    with no flag telling them apart raise ParseError ("DST repeated hour without flag"); so does a
    spring-forward hour that does not exist, and a DSTFlag=Y on an hour that is not repeated.
    """
    n = len(dates)
    local = pd.DatetimeIndex(dates + pd.to_timedelta(hour_ending - 1, unit="h"))
    line_no = np.asarray(lines if lines is not None else np.arange(2, n + 2))
    flag = np.zeros(n, dtype=bool) if repeated is None else np.asarray(repeated, dtype=bool)

    probe = local.tz_localize(ERCOT_TZ, ambiguous="NaT", nonexistent="NaT")
    unresolved = np.asarray(probe.isna())
    as_dst = local.tz_localize(ERCOT_TZ, ambiguous=np.ones(n, dtype=bool), nonexistent="NaT")
    nonexistent = np.asarray(as_dst.isna())
    ambiguous = unresolved & ~nonexistent
    if nonexistent.any():
        i = int(np.flatnonzero(nonexistent)[0])
        raise ParseError(source, f"line {line_no[i]}: local hour starting {local[i]} does not exist in "
                                 f"{ERCOT_TZ} (spring-forward gap); {int(nonexistent.sum())} such row(s)")
    wrong_flag = flag & ~ambiguous
    if wrong_flag.any():
        i = int(np.flatnonzero(wrong_flag)[0])
        raise ParseError(source, f"line {line_no[i]}: DSTFlag=Y on hour starting {local[i]}, which is not "
                                 "the repeated fall-back hour")
    if ambiguous.any():
        _check_repeated_hours_flagged(local, ambiguous, flag, group, repeated is None, source, line_no)

    # ambiguous=True means "daylight time": every flagged (repeated) row is on standard time.
    utc = local.tz_localize(ERCOT_TZ, ambiguous=~flag, nonexistent="raise").tz_convert("UTC")
    offset = local - utc.tz_localize(None)
    is_dst = np.asarray(offset != _CST_OFFSET)
    return ErcotTimes(interval_start_utc=pd.DatetimeIndex(utc), interval_start_local=local, is_dst=is_dst)


def _check_repeated_hours_flagged(local: pd.DatetimeIndex, ambiguous: np.ndarray, flag: np.ndarray,
                                  group: Sequence[object] | None, no_column: bool, source: str,
                                  line_no: np.ndarray) -> None:
    # Two rows of one series on the same ambiguous wall-clock hour must differ in DSTFlag;
    # otherwise we cannot tell CDT from CST and would silently collapse or misplace an hour.
    idx = np.flatnonzero(ambiguous)
    keys = pd.DataFrame({
        "g": ["" if group is None else str(group[i]) for i in idx],
        "t": local[idx],
        "f": flag[idx],
    })
    clash = keys.duplicated(["g", "t", "f"], keep=False).to_numpy()
    if clash.any():
        i = int(idx[np.flatnonzero(clash)[0]])
        why = "the file has no DSTFlag column" if no_column else "both rows carry the same DSTFlag"
        raise ParseError(source, f"line {line_no[i]}: DST repeated hour without flag: the local hour starting "
                                 f"{local[i]} appears twice and {why}, so CDT cannot be told from CST")


def to_labels(utc: pd.DatetimeIndex) -> pd.DataFrame:
    """Inverse of `to_utc`: UTC interval starts -> DeliveryDate, HourEnding ("HH:00"), DSTFlag (Y/N)."""
    utc = pd.DatetimeIndex(utc)
    local_aware = utc.tz_convert(ERCOT_TZ)
    local = local_aware.tz_localize(None)
    is_dst = np.asarray(local - utc.tz_localize(None) != _CST_OFFSET)
    # The repeated hour: the instant one hour earlier shows the same wall clock (it was CDT).
    earlier = (utc - _HOUR).tz_convert(ERCOT_TZ).tz_localize(None)
    repeated = ~is_dst & np.asarray(earlier == local)
    return pd.DataFrame({
        "DeliveryDate": local.strftime("%m/%d/%Y"),
        "HourEnding": [f"{h + 1:02d}:00" for h in local.hour],
        "DSTFlag": np.where(repeated, "Y", "N"),
    })


def _raise_examples(source: str, what: str, labels: pd.Series, bad: np.ndarray,
                    lines: Sequence[int] | None) -> None:
    positions = np.flatnonzero(bad)[:_MAX_EXAMPLES]
    line_no = np.asarray(lines if lines is not None else np.arange(2, len(labels) + 2))
    shown = ", ".join(f"line {line_no[i]}: {labels.iloc[i]!r}" for i in positions)
    raise ParseError(source, f"{what}; {int(bad.sum())} bad value(s), e.g. {shown}")
