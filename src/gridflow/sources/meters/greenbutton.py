"""Green Button "Download My Data" CSV -> canonical meter frame: PG&E and SCE flavours.

Files are one customer's account (thousands of rows), so these parsers go line by line.

* PG&E (docs/data-formats.md 3.2): BOM, a `Name/Address/Account Number/Service` preamble, then
  `TYPE,DATE,START TIME,END TIME,USAGE,UNITS,COST,NOTES`. END TIME is inclusive (`00:59` = an hour).
  Electric rows only (gas rows are therms per day: dropped and reported). Negative USAGE is net
  export and goes to the generation channel. NOTES mentioning "estimated" marks an estimate.
  Variants `USAGE (kWh)` and `IMPORT (kWh),EXPORT (kWh)` are read too.
* SCE: CRLF, non-breaking spaces, day blocks headed `Energy Delivered|Received time period`, rows
  `"start to end","kWh","quality"`; Delivered = consumption, Received = generation.

Times are local Pacific prevailing time; a repeated fall-back label is daylight first (file order).
A blank usage is a missing reading (dropped, reported); text such as `n/a` rejects the file.
Not supported: Green Button XML (ESPI), gas-only files, COST, and other utilities' column sets.
"""

from __future__ import annotations

import csv
import re
from datetime import datetime

import numpy as np
import pandas as pd

from gridflow.errors import ParseError
from gridflow.ingest.contract import Parsed
from gridflow.sources.meters import dst
from gridflow.sources.meters.frame import CONSUMPTION, GENERATION, build_meter_frame, examples

PGE_FORMAT = "greenbutton_pge"
SCE_FORMAT = "greenbutton_sce"
PACIFIC = "America/Los_Angeles"
PGE_HEADER_START = "TYPE,DATE,START TIME,END TIME"
SCE_MARKER = "Data for period starting"
_SCE_ROW = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d(?::\d\d)?) to (\d{4}-\d\d-\d\d \d\d:\d\d(?::\d\d)?)$")
_NS_MIN = 60 * 1_000_000_000


def _lines(data: bytes) -> list[str]:
    return data.decode("utf-8-sig", errors="replace").replace("\u00a0", " ").splitlines()


def is_pge(lines: list[str]) -> bool:
    """A PG&E-style Green Button table header within the first lines."""
    return any(line.upper().startswith(PGE_HEADER_START) for line in lines[:30])


def is_sce(lines: list[str]) -> bool:
    """An SCE-style day-block export."""
    return any(SCE_MARKER in line for line in lines[:40])


def parse_pge(data: bytes, source: str, meter_id: str) -> Parsed:
    """Parse a PG&E Green Button CSV; the meter id comes from the preamble's Service number."""
    lines = _lines(data)
    head = next((i for i, line in enumerate(lines[:30]) if line.upper().startswith(PGE_HEADER_START)), None)
    if head is None:
        raise ParseError(source, f"no {PGE_HEADER_START}... header in the first 30 lines")
    preamble = {row[0].strip().lower(): row[1].strip() for row in csv.reader(lines[:head]) if len(row) >= 2}
    ident = preamble.get("service") or preamble.get("account number")
    meter = f"pge:{ident}" if ident else meter_id
    names = [n.strip().upper() for n in next(csv.reader([lines[head]]))]
    usage_cols = [n for n in ("USAGE", "USAGE (KWH)") if n in names]
    net = "IMPORT (KWH)" in names and "EXPORT (KWH)" in names
    if not usage_cols and not net:
        raise ParseError(source, f"line {head + 1}: no USAGE, USAGE (kWh) or IMPORT/EXPORT (kWh) column")
    idx = {n: names.index(n) for n in names}
    rows, issues, gas, blanks = [], [], 0, []
    for number, fields in enumerate(csv.reader(lines[head + 1:]), start=head + 2):
        if not fields or not any(f.strip() for f in fields):
            continue
        if len(fields) < len(names) - 1:  # NOTES may be absent on the last column
            raise ParseError(source, f"line {number}: expected {len(names)} fields, found {len(fields)}"
                                     + ("" if number < len(lines) or data.endswith(b"\n")
                                        else " (no final newline: the file looks truncated)"))

        def get(name: str, fields: list[str] = fields) -> str:
            return fields[idx[name]].strip() if idx.get(name, 99) < len(fields) else ""

        kind = get("TYPE").lower()
        if kind and "electric" not in kind:
            gas += 1
            continue
        units = get("UNITS")
        if units and units.lower() != "kwh":
            raise ParseError(source, f"line {number}: UNITS {units!r} is not kWh")
        try:
            day = _date(get("DATE"))
            start, end = _hm(get("START TIME")), _hm(get("END TIME"))
        except ValueError:
            raise ParseError(source, f"line {number}: bad DATE/START TIME/END TIME "
                                     f"{get('DATE')!r} {get('START TIME')!r} {get('END TIME')!r}") from None
        minutes = (end - start) % 1440 + 1  # END TIME is inclusive
        estimated = "estimat" in get("NOTES").lower()
        values = ([(CONSUMPTION, get("IMPORT (KWH)"), 1), (GENERATION, get("EXPORT (KWH)"), 1)] if net
                  else [(None, get(usage_cols[0]), 0)])
        for channel, text, _ in values:
            if not text:
                blanks.append(number)
                continue
            kwh = _kwh(text.replace(",", ""), text, number, source)
            if channel is None:
                channel, kwh = (CONSUMPTION, kwh) if kwh >= 0 else (GENERATION, -kwh)
            elif kwh < 0:
                raise ParseError(source, f"line {number}: negative {channel} kWh {text!r}")
            rows.append((number, channel, day * 1440 + start, minutes, kwh, estimated))
    if gas:
        issues.append(f"{gas} non-electric (gas) row(s) dropped: therms are not interval kWh")
    _report_blanks(blanks, issues)
    return _finish(rows, meter, PACIFIC, source, issues, PGE_FORMAT, len(rows) + len(blanks))


def parse_sce(data: bytes, source: str, meter_id: str) -> Parsed:
    """Parse an SCE Green Button CSV (Delivered/Received day blocks)."""
    lines = _lines(data)
    location = next((m.group(1) for line in lines[:20]
                     if (m := re.search(r"For location:\s*([^\"]+)", line))), None)
    meter = f"sce:{location.strip()}" if location else meter_id
    channel, rows, blanks, issues = None, [], [], []
    for number, line in enumerate(lines, start=1):
        text = line.strip()
        if "time period" in text and "Energy" in text:
            channel = GENERATION if "Received" in text else CONSUMPTION
            continue
        if channel is None or not text.startswith('"') or SCE_MARKER in text:
            continue
        fields = next(csv.reader([text]))
        m = _SCE_ROW.match(" ".join(fields[0].split()))
        if not m:
            channel = None  # left the block (footer text)
            continue
        if len(fields) < 2:
            raise ParseError(source, f"line {number}: no kWh value" + (
                " (last line: the file looks truncated)" if number == len(lines) else ""))
        start, end = pd.Timestamp(m.group(1)), pd.Timestamp(m.group(2))
        if not fields[1].strip():
            blanks.append(number)
            continue
        kwh = _kwh(fields[1].strip(), fields[1], number, source)
        if kwh < 0:
            raise ParseError(source, f"line {number}: negative kWh {fields[1]!r}")
        quality = fields[2].lower() if len(fields) > 2 else ""
        minutes = int((end - start).total_seconds() // 60) % 1440 or 1440
        rows.append((number, channel, start.value // _NS_MIN, minutes, kwh, "estimat" in quality))
    _report_blanks(blanks, issues)
    return _finish(rows, meter, PACIFIC, source, issues, SCE_FORMAT, len(rows) + len(blanks))


def _kwh(text: str, shown: str, number: int, source: str) -> float:
    """A usage value as kWh; text (`n/a`, `NaN`) or an infinite number rejects the file at its line."""
    try:
        kwh = float(text)
    except ValueError:
        kwh = float("nan")
    if not np.isfinite(kwh):
        raise ParseError(source, f"line {number}: usage {shown!r} is not a number of kWh (only a blank value "
                                 "is a missing reading)")
    return kwh


def _report_blanks(lines: list[int], issues: list[str]) -> None:
    if lines:
        issues.append(f"{len(lines)} blank usage value(s) dropped: missing readings (lines {examples(lines)})")


def _finish(rows, meter: str, tz: str, source: str, issues: list[str], fmt: str, read: int) -> Parsed:
    if not rows:
        raise ParseError(source, "no interval rows found" + (" (every usage value is blank)" if read else ""))
    number, channel, local_min, minutes, kwh, estimated = (np.array(c) for c in zip(*rows, strict=True))
    local_ns = local_min.astype("int64") * _NS_MIN
    series = (channel == GENERATION).astype("int64")
    loc = dst.localize(local_ns, series, tz)
    if loc.nonexistent.any():
        raise ParseError(source, f"line {examples(number[loc.nonexistent])}: local time does not exist "
                                 f"in {tz} (spring-forward gap)")
    if loc.repeated.any():
        issues.append(f"{int(loc.repeated.sum())} repeated fall-back interval(s) taken as standard time by "
                      "file order")
    key = pd.DataFrame({"c": channel, "t": loc.utc_ns})
    dup = key.duplicated(keep="first").to_numpy()
    if dup.any():
        raise ParseError(source, f"line {examples(number[dup])}: the same interval appears more than once")
    frame = build_meter_frame(meter_id=np.full(len(rows), meter, dtype=object), channel=channel.astype(object),
                              utc_ns=loc.utc_ns, minutes=minutes, local_ns=local_ns, is_dst=loc.is_dst,
                              kwh=kwh.astype("float64"), is_estimated=estimated.astype(bool))
    return Parsed(frame, issues, read, fmt)


def _date(text: str) -> int:
    for fmt in ("%Y-%m-%d", "%m/%d/%Y"):
        try:
            return datetime.strptime(text, fmt).toordinal() - _EPOCH
        except ValueError:
            continue
    raise ValueError(text)


def _hm(text: str) -> int:
    hours, minutes = text.split(":")[:2]
    value = int(hours) * 60 + int(minutes)
    if not 0 <= value < 1440:
        raise ValueError(text)
    return value


_EPOCH = datetime(1970, 1, 1).toordinal()
