"""Smart Meter Texas 15-minute interval export ("IntervalData.csv") -> canonical meter frame.

Format (docs/data-formats.md 3.1): one row per ESIID, day and quarter hour, consumption and
surplus-generation series interleaved, times in Central prevailing time. What this parser decides:

* ESIID loses its leading apostrophe (an Excel guard) and stays a string.
* Blank USAGE_KWH rows are not readings. Inside the spring-forward gap they are expected (the
  export keeps 96 rows that day) and dropped silently; elsewhere they are gaps and reported.
* Fall-back day (100 rows): the repeated hour is resolved by file order, first pass daylight
  (CDT), second standard (CST). The real export labels the first repeated interval `02:00,01:15`;
  an interval whose start and end are not 15 minutes apart is read from its END time when that
  lands in the repeated hour (reported), otherwise the file is rejected.
* The same interval twice: the row with the later REVISION_DATE wins; identical copies are
  dropped; conflicting copies with the same revision reject the file. Both are reported.
* Text in USAGE_KWH (`n/a`, `NULL`, `NaN`) is not a missing reading but a malformed file: only a
  blank is missing. Non-numeric, non-finite or negative kWh, unknown flags or channels, bad dates,
  a wrong field count or a cut-off last line raise ParseError naming the lines.
"""

from __future__ import annotations

import re
from datetime import datetime

import numpy as np
import pandas as pd

from gridflow.errors import ParseError
from gridflow.frames import ERCOT_TZ
from gridflow.ingest.contract import Parsed
from gridflow.sources.meters import csvread, dst
from gridflow.sources.meters.frame import (
    CONSUMPTION,
    GENERATION,
    build_meter_frame,
    empty_meter_frame,
    examples,
)

FORMAT = "smt_interval"
COLUMNS = ["ESIID", "USAGE_DATE", "REVISION_DATE", "USAGE_START_TIME", "USAGE_END_TIME",
           "USAGE_KWH", "ESTIMATED_ACTUAL", "CONSUMPTION_SURPLUSGENERATION"]
HEADER = ",".join(COLUMNS)
INTERVAL_MINUTES = 15
_NS_MIN = 60 * 1_000_000_000
_NS_DAY = 1440 * _NS_MIN
_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")
_DATE_FORM = re.compile(r"(\d\d)/(\d\d)/(\d{4})\Z", re.ASCII)
_REVISION_FORM = re.compile(r"(\d\d)/(\d\d)/(\d{4}) (\d\d):(\d\d):(\d\d)\Z", re.ASCII)
_CHANNELS = {"consumption": 0, "surplus generation": 1, "surplusgeneration": 1}
_CHANNEL_NAMES = [CONSUMPTION, GENERATION]
_FLAGS = {"a": 0, "e": 1, "": 2}  # 2 = blank (only legitimate with a blank reading)


def parse_smt(data: bytes, source: str, tz: str = ERCOT_TZ) -> Parsed:
    """Parse the bytes of an SMT IntervalData.csv export into a `Parsed`."""
    names = csvread.split_header(csvread.header_line(data))
    if [n.upper() for n in names] != COLUMNS:
        raise ParseError(source, f"line 1: header {','.join(names)!r} is not the SMT interval header "
                                 f"{HEADER!r}")
    table = csvread.read_dictionary_table(data, COLUMNS, source, floats=("USAGE_KWH",))
    if table.rows == 0:
        return Parsed(empty_meter_frame(), ["no data rows"], 0, FORMAT)
    return _Parser(table, source, tz).run()


class _Parser:
    def __init__(self, table: csvread.RawTable, source: str, tz: str) -> None:
        self.t = table
        self.source = source
        self.tz = tz
        self.issues: list[str] = []

    def fail(self, rows: np.ndarray, message: str) -> ParseError:
        lines = csvread.row_lines(self.t, rows)
        return ParseError(self.source, f"line {examples(lines)}: {message}"
                                       f"{csvread.truncation_hint(self.t, lines)}")

    def decode(self, name: str, convert, what: str) -> tuple[np.ndarray, np.ndarray]:
        """Convert each distinct value once; reject the rows holding unconvertible ones."""
        col = self.t.columns[name]
        out, bad = [], []
        for i, v in enumerate(col.values):
            try:
                out.append(convert(v))
            except (ValueError, KeyError):
                out.append(0)
                bad.append(i)
        if bad:
            rows = np.isin(col.codes, bad)
            shown = ", ".join(repr(col.values[i]) for i in bad[:3])
            raise self.fail(rows, f"{name} {shown} is not {what}")
        return col.codes, np.asarray(out)

    def run(self) -> Parsed:
        t, n = self.t, self.t.rows
        meter_col = t.columns["ESIID"]
        clean = [v.lstrip("'").strip() for v in meter_col.values]
        if "" in clean:
            raise self.fail(np.isin(meter_col.codes, [i for i, v in enumerate(clean) if not v]),
                            "ESIID is empty")
        meter_remap, meter_names = pd.factorize(pd.Index(clean))
        meter_code = meter_remap[meter_col.codes]

        dcodes, day_ns = self.decode("USAGE_DATE", _date_ns, "a date MM/DD/YYYY")
        rcodes, rev_ns = self.decode("REVISION_DATE", _revision_ns, "a time MM/DD/YYYY HH:MM:SS")
        scodes, start_min = self.decode("USAGE_START_TIME", _minutes, "a time HH:MM")
        ecodes, end_min = self.decode("USAGE_END_TIME", _minutes, "a time HH:MM")
        kwh_col = t.columns["USAGE_KWH"]
        if kwh_col.values:  # pyarrow could not parse some value: find and name it
            kcodes, kwh_by_code = self.decode("USAGE_KWH", _kwh, "a number of kWh (only a blank value is a "
                                                                 "missing reading)")
            kwh = kwh_by_code[kcodes]
        else:
            kwh = kwh_col.codes
        fcodes, flag_by_code = self.decode("ESTIMATED_ACTUAL", _flag, "A (actual) or E (estimated)")
        ccodes, chan_by_code = self.decode("CONSUMPTION_SURPLUSGENERATION", _channel,
                                           "Consumption or Surplus Generation")

        negative = kwh < 0
        if negative.any():
            raise self.fail(negative,
                            "negative USAGE_KWH: readings are magnitudes (export is the Surplus "
                            "Generation channel)")
        if (start_min[scodes] % INTERVAL_MINUTES).any() if n else False:
            bad = start_min[scodes] % INTERVAL_MINUTES != 0
            raise self.fail(bad, "USAGE_START_TIME is not on a quarter hour")

        channel = chan_by_code[ccodes].astype("int64")
        series = meter_code.astype("int64") * 2 + channel
        start = start_min[scodes].astype("int64")
        end = end_min[ecodes].astype("int64")
        span = (end - start) % 1440
        mislabelled = span != INTERVAL_MINUTES
        if mislabelled.any():
            start = np.where(mislabelled, (end - INTERVAL_MINUTES) % 1440, start)
        local_ns = day_ns[dcodes] + start * _NS_MIN
        loc = dst.localize(local_ns, series, self.tz)

        if mislabelled.any():
            unexplained = mislabelled & ~loc.ambiguous
            if unexplained.any():
                raise self.fail(unexplained, "USAGE_START_TIME and USAGE_END_TIME are not 15 "
                                             "minutes apart")
            lines = csvread.row_lines(t, mislabelled)
            self.issues.append(
                f"{int(mislabelled.sum())} interval(s) in the repeated fall-back hour carry a start "
                f"time that does not match their end time (lines {examples(lines)}, e.g. "
                "02:00-01:15); read from the end time and file order")

        flag = flag_by_code[fcodes]
        blank = np.isnan(kwh)
        in_gap = loc.nonexistent
        if (in_gap & ~blank).any():
            raise self.fail(in_gap & ~blank, "a reading is labelled with a time that does not exist "
                                             "(spring-forward gap) in " + self.tz)
        gap_blanks = int((in_gap & blank).sum())
        if gap_blanks:
            self.issues.append(f"{gap_blanks} blank interval(s) inside the spring-forward gap dropped "
                               "(the export lists non-existent times; they are not readings)")
        if (~blank & (flag == 2)).any():
            rows = ~blank & (flag == 2)
            self.issues.append(f"{int(rows.sum())} reading(s) without ESTIMATED_ACTUAL taken as actual "
                               f"(lines {examples(csvread.row_lines(t, rows))})")
        repeated = int((loc.repeated & ~blank).sum())
        if repeated:
            self.issues.append(f"{repeated} reading(s) in the repeated fall-back hour taken as standard "
                               "time by file order (first pass daylight, second standard)")
        if loc.ambiguous_once:
            self.issues.append(f"{loc.ambiguous_once} fall-back label(s) seen only once were taken as "
                               "daylight time")

        keep = ~blank
        other_blanks = int((blank & ~in_gap).sum())
        rows = np.flatnonzero(keep)
        keep_rows = self.resolve_duplicates(rows, series, loc.utc_ns, rcodes, rev_ns, kwh, fcodes)
        self.report_gaps(keep_rows, series, dcodes, day_ns, meter_names, other_blanks)

        meter = pd.Categorical.from_codes(meter_code[keep_rows], categories=meter_names.astype(str))
        chan = pd.Categorical.from_codes(channel[keep_rows], categories=_CHANNEL_NAMES)
        frame = build_meter_frame(
            meter_id=meter, channel=chan, utc_ns=loc.utc_ns[keep_rows], minutes=INTERVAL_MINUTES,
            local_ns=local_ns[keep_rows], is_dst=loc.is_dst[keep_rows], kwh=kwh[keep_rows],
            is_estimated=flag[keep_rows] == 1,
        )
        return Parsed(frame, self.issues, t.rows, FORMAT)

    def resolve_duplicates(self, rows, series, utc_ns, rcodes, rev_ns, kwh, fcodes) -> np.ndarray:
        """Row indices to keep: one per (series, interval), the latest revision."""
        if len(rows) == 0:
            return rows
        step = INTERVAL_MINUTES * _NS_MIN
        slot = (utc_ns[rows] - utc_ns[rows].min()) // step
        key = series[rows] * (int(slot.max()) + 1) + slot
        # Exports are usually sorted per series: a strictly rising key proves uniqueness in O(n).
        if len(key) < 2 or bool((np.diff(key) > 0).all()):
            return rows
        dup_any = pd.Index(key).duplicated(keep=False)
        if not dup_any.any():
            return rows
        d = pd.DataFrame({"row": rows[dup_any], "key": key[dup_any], "rev": rev_ns[rcodes[rows[dup_any]]],
                          "k": kwh[rows[dup_any]], "f": fcodes[rows[dup_any]]})
        top = d.groupby("key")["rev"].transform("max")
        latest = d[d["rev"] == top]
        conflict = latest.groupby("key")[["k", "f"]].nunique().max(axis=1) > 1
        if conflict.any():
            clash = latest[latest["key"].isin(conflict[conflict].index)]["row"].to_numpy()
            raise self.fail(np.sort(clash), "the same interval appears more than once with different "
                                            "readings and the same REVISION_DATE; cannot tell which is right")
        winners = latest.drop_duplicates("key", keep="last")["row"].to_numpy()
        dropped = np.setdiff1d(d["row"].to_numpy(), winners)
        self.issues.append(
            f"{len(dropped)} duplicate interval row(s) dropped (lines "
            f"{examples(csvread.row_lines(self.t, np.sort(dropped)))}); the latest REVISION_DATE "
            "(or the last identical copy) is kept")
        keep = np.ones(len(self.t.columns['ESIID'].codes), dtype=bool)
        keep[dropped] = False
        return rows[keep[rows]]

    def report_gaps(self, rows, series, dcodes, day_ns, meter_names, blank_rows: int) -> None:
        """Report days whose reading count differs from the day's length (92/96/100 are normal)."""
        if blank_rows:
            self.issues.append(f"{blank_rows} blank interval(s) outside the spring-forward gap dropped: "
                               "missing readings")
        if len(rows) == 0:
            return
        expected = dst.quarter_hours_per_day(day_ns, self.tz)
        ndays = len(day_ns)
        counts = np.bincount(series[rows] * ndays + dcodes[rows], minlength=(int(series.max()) + 1) * ndays)
        counts = counts.reshape(-1, ndays)
        order = np.argsort(day_ns)
        for s in np.flatnonzero(counts.sum(axis=1)):
            per_day = counts[s][order]
            present = np.flatnonzero(per_day)
            span = slice(present[0], present[-1] + 1)  # days between the series' first and last
            short = expected[order][span] - per_day[span]
            bad = np.flatnonzero(short > 0)
            if len(bad) == 0:
                continue
            name = f"{_CHANNEL_NAMES[s % 2]} {meter_names[s // 2]}"
            days = [f"{pd.Timestamp(day_ns[order][span][i]).date()} ({int(short[i])})" for i in bad[:5]]
            more = f" and {len(bad) - 5} more day(s)" if len(bad) > 5 else ""
            self.issues.append(f"{name}: {int(short[bad].sum())} interval(s) missing on {len(bad)} "
                               f"day(s): {', '.join(days)}{more}")
        dst_days = np.flatnonzero(expected != 96)
        for i in dst_days:
            self.issues.append(f"{pd.Timestamp(day_ns[i]).date()} has {int(expected[i])} quarter hours "
                               "in " + self.tz + " (DST change): expected, not a gap")


def _date_ns(value: str) -> int:
    return (_parse_datetime(value, _DATE_FORM, "%m/%d/%Y").toordinal() - _EPOCH_ORD) * _NS_DAY


def _revision_ns(value: str) -> int:
    if not value:
        return 0
    moment = _parse_datetime(value, _REVISION_FORM, "%m/%d/%Y %H:%M:%S")
    days = moment.toordinal() - _EPOCH_ORD
    return (days * 86_400 + moment.hour * 3600 + moment.minute * 60 + moment.second) * 1_000_000_000


def _parse_datetime(value: str, form: re.Pattern, fmt: str) -> datetime:
    """`datetime.strptime(value, fmt)`, with the zero-padded form every export uses read directly:
    strptime costs ~15 us a value and a file holds hundreds of distinct dates."""
    match = form.match(value)
    if match is None:
        return datetime.strptime(value, fmt)
    month, day, year, *clock = (int(g) for g in match.groups())
    return datetime(year, month, day, *clock)  # ValueError for 02/30 or 25:00, as strptime


def _minutes(value: str) -> int:
    m = _TIME.match(value)
    if not m or int(m.group(1)) > 24 or int(m.group(2)) > 59:
        raise ValueError(value)
    return int(m.group(1)) * 60 + int(m.group(2))


def _kwh(value: str) -> float:
    if value == "":
        return float("nan")
    number = float(value)
    if not np.isfinite(number):
        raise ValueError(value)
    return number


def _flag(value: str) -> int:
    return _FLAGS[value.lower()]


def _channel(value: str) -> int:
    return _CHANNELS[" ".join(value.lower().split())]


_EPOCH_ORD = datetime(1970, 1, 1).toordinal()
