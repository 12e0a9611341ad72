"""Pure parser of ERCOT's yearly DAM hub and load-zone price workbook (RTID 13060, NP4-180-ER).

The ZIP ERCOT publishes holds one xlsx with a sheet per month, ``Jan`` .. ``Dec``, each headed
``Delivery Date | Hour Ending | Repeated Hour Flag | Settlement Point | Settlement Point Price``
with hourly rows of the hubs and load zones (``HB_*``, ``LZ_*``), e.g. ``('01/01/2021', '01:00',
'N', 'HB_BUSAVG', 18.24)``. They become `market_price` rows of market ERCOT_DAM under the node
names the daily report 12331 writes, so both extend one history. The Repeated Hour Flag is the
DSTFlag of the CSV reports under another name; labels are converted by
`gridflow.sources.ercot.times`. Every problem raises ParseError naming the sheet and the worksheet
row (``line N`` in messages from `times` is that row too).
"""

from __future__ import annotations

import io
import math
import re
import zipfile
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from xml.etree.ElementTree import ParseError as XmlParseError

import numpy as np
import openpyxl
import pandas as pd
from openpyxl.utils.exceptions import InvalidFileException

from gridflow.errors import ParseError
from gridflow.ingest.contract import Parsed
from gridflow.sources import safe_zip
from gridflow.sources.ercot import parse, times

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
HEADER = ("Delivery Date", "Hour Ending", "Repeated Hour Flag", "Settlement Point", "Settlement Point Price")
# A real year's workbook inflates to ~29 MB of XML in 20 parts. openpyxl reads each part through
# zipfile, which stops at the declared size, so capping the declared sizes bounds the memory.
MAX_INFLATED_BYTES = 128 * safe_zip.MB
MAX_PARTS = 256
_YEAR_IN_NAME = re.compile(r"DAMLZHBSPP_(\d{4})", re.IGNORECASE)
_MAX_EXAMPLES = 5
# What a damaged or hostile package raises from inside openpyxl (defusedxml's refusals are ValueErrors).
_UNREADABLE = (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, TypeError, OSError, EOFError,
               XmlParseError)


@dataclass(frozen=True)
class Sheet:
    """One month's sheet: its name, month number, data rows (5 cells each) and their worksheet rows."""

    name: str
    month: int
    rows: list[tuple[object, ...]]
    row_numbers: list[int]


def parse_dam_hub_prices_yearly(data: bytes, source: str, only: Collection[str] | None = None) -> Parsed:
    """Yearly DAM hub and load-zone prices (RTID 13060, NP4-180-ER) xlsx bytes -> `market_price` rows."""
    sheets = read_sheets(data, source)
    year = _workbook_year(sheets, source)
    # Each sheet may hold its own month only, so a (node, hour) key can never repeat across sheets.
    frame = pd.concat([_sheet_frame(sheet, year, source) for sheet in sheets], ignore_index=True)
    issues: list[str] = []
    frame = parse._filter(frame, "node", only, issues, "settlement point")
    return Parsed(parse._sorted(frame, ["node"]), issues, sum(len(s.rows) for s in sheets))


def read_sheets(data: bytes, source: str) -> list[Sheet]:
    """Every month sheet of the workbook, header checked, blank rows skipped; ParseError otherwise.

    All twelve sheets are required: every workbook seen, including 2025's published mid-December,
    holds Jan..Dec (the year in progress has a partial last month, not fewer sheets).
    """
    _check_package(data, source)
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except _UNREADABLE as exc:
        raise ParseError(source, f"not a readable xlsx workbook ({type(exc).__name__}: {exc})") from None
    try:
        _check_sheet_names(book.sheetnames, source)
        return [_read_sheet(book[name], month, source) for month, name in enumerate(book.sheetnames, start=1)]
    except _UNREADABLE as exc:
        raise ParseError(source, f"unreadable worksheet data ({type(exc).__name__}: {exc})") from None
    finally:
        book.close()


def _check_package(data: bytes, source: str) -> None:
    # An xlsx is itself a ZIP: refuse garbage and bombs before openpyxl inflates anything.
    if not data.startswith(b"PK\x03\x04"):
        raise ParseError(source, f"not an xlsx workbook (starts with {data[:16]!r})")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            parts = package.infolist()
    except zipfile.BadZipFile as exc:
        raise ParseError(source, f"truncated or corrupt xlsx workbook ({len(data)} bytes): {exc}") from None
    if len(parts) > MAX_PARTS:
        raise safe_zip.UnsafeZipError(source, f"xlsx holds {len(parts)} parts, above the cap of {MAX_PARTS}")
    declared = sum(p.file_size for p in parts)
    if declared > MAX_INFLATED_BYTES:
        raise safe_zip.UnsafeZipError(source, f"xlsx declares {declared} uncompressed bytes, above the cap of "
                                              f"{MAX_INFLATED_BYTES}")


def _check_sheet_names(names: Sequence[str], source: str) -> None:
    for position, (name, expected) in enumerate(zip(names, MONTHS, strict=False), start=1):
        if name != expected:
            raise ParseError(source, f"sheet {position} is {name!r}, expected {expected!r} (sheets must be "
                                     f"Jan..Dec in order; the workbook has {', '.join(names)})")
    if len(names) > len(MONTHS):
        raise ParseError(source, f"extra sheet(s) after Dec: {', '.join(names[len(MONTHS):])}")
    if len(names) < len(MONTHS):
        raise ParseError(source, f"missing sheet(s) {', '.join(MONTHS[len(names):])}: the workbook has only "
                                 f"{', '.join(names) or 'no sheets'}")


def _read_sheet(worksheet: Any, month: int, source: str) -> Sheet:
    name = MONTHS[month - 1]
    where = _where(source, name)
    rows = worksheet.iter_rows(values_only=True)
    header = tuple(str(h).strip() if h is not None else "" for h in _trim(next(rows, ())))
    if [parse._norm(h) for h in header] != [parse._norm(h) for h in HEADER]:
        raise ParseError(where, f"row 1: wrong header {' | '.join(header)[:300]!r}; expected {' | '.join(HEADER)!r}")
    body: list[tuple[object, ...]] = []
    numbers: list[int] = []
    for number, raw in enumerate(rows, start=2):
        cells = _trim(raw)
        if not cells:
            continue
        if len(cells) != len(HEADER):
            raise ParseError(where, f"row {number}: {len(cells)} cells, the header has {len(HEADER)}")
        empty = next((i for i, c in enumerate(cells) if c is None or (isinstance(c, str) and not c.strip())), None)
        if empty is not None:
            raise ParseError(where, f"row {number}: empty {HEADER[empty]!r}")
        body.append(cells)
        numbers.append(number)
    if not body:
        raise ParseError(where, "no data rows after the header")
    return Sheet(name, month, body, numbers)


def _trim(row: Sequence[object]) -> tuple[object, ...]:
    # Formatted but empty cells come back as trailing Nones.
    cells = list(row)
    while cells and (cells[-1] is None or (isinstance(cells[-1], str) and not cells[-1].strip())):
        cells.pop()
    return tuple(cells)


def _where(source: str, sheet: str) -> str:
    return f"{source} sheet {sheet}"


def _workbook_year(sheets: list[Sheet], source: str) -> int:
    named = _YEAR_IN_NAME.findall(source)
    if named:
        return int(named[-1])
    first = sheets[0]
    dates = times.parse_delivery_date(pd.Series([_date_text(first.rows[0][0])], dtype="string"),
                                      _where(source, first.name), HEADER[0], first.row_numbers[:1])
    return int(dates[0].year)


def _sheet_frame(sheet: Sheet, year: int, source: str) -> pd.DataFrame:
    where = _where(source, sheet.name)
    lines = sheet.row_numbers
    day, hour, flag, point, price = (list(c) for c in zip(*sheet.rows, strict=True))
    dates = times.parse_delivery_date(pd.Series([_date_text(v) for v in day], dtype="string"), where, HEADER[0],
                                      lines)
    outside = np.asarray((dates.month != sheet.month) | (dates.year != year))
    if outside.any():
        i = int(np.flatnonzero(outside)[0])
        raise ParseError(where, f"row {lines[i]}: Delivery Date {day[i]!r} is not in {sheet.name} {year} "
                                f"({int(outside.sum())} such row(s)); each sheet holds its own month only")
    hours = times.parse_hour_ending(pd.Series([str(v) for v in hour], dtype="string"), where, lines)
    repeated = times.parse_dst_flag(pd.Series([str(v) for v in flag], dtype="string"), len(flag), where, lines)
    node = [str(v).strip() for v in point]
    converted = times.to_utc(dates, hours, repeated, node, where, lines)
    frame = pd.DataFrame({
        "market": parse.ERCOT_DAM,
        "node": np.asarray(node, dtype=object),
        **parse._time_columns(converted),
        "price_usd_per_mwh": _prices(price, where, lines),
    })
    _reject_duplicates(frame, lines, where)
    return frame


def _date_text(value: object) -> str:
    # ERCOT stores the date as MM/DD/YYYY text; a date-typed cell at midnight means the same day.
    if isinstance(value, datetime) and value == datetime(value.year, value.month, value.day):
        return value.strftime("%m/%d/%Y")
    if isinstance(value, date) and not isinstance(value, datetime):
        return value.strftime("%m/%d/%Y")
    return str(value)


def _prices(values: list[object], where: str, lines: Sequence[int]) -> np.ndarray:
    out = np.empty(len(values), dtype="float64")
    bad: list[int] = []
    for i, value in enumerate(values):
        number = _number(value)
        if number is None:
            bad.append(i)
        else:
            out[i] = number
    if bad:
        shown = ", ".join(f"row {lines[i]}: {values[i]!r}" for i in bad[:_MAX_EXAMPLES])
        raise ParseError(where, f"{HEADER[4]} must be a finite number; {len(bad)} bad value(s), e.g. {shown}")
    return out


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value.strip() if isinstance(value, str) else value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _reject_duplicates(frame: pd.DataFrame, lines: Sequence[int], where: str) -> None:
    # Unlike the daily CSVs, a yearly archive is one authored file: a repeated key is a broken file.
    clash = frame.duplicated(["node", "interval_start_utc"], keep=False).to_numpy()
    if clash.any():
        rows = np.asarray(lines)[clash][:_MAX_EXAMPLES]
        first = frame.loc[clash].iloc[0]
        raise ParseError(where, f"rows {', '.join(str(r) for r in rows)}: duplicate key {first.node} at "
                                f"{first.interval_start_local:%m/%d/%Y %H:%M} local ({int(clash.sum())} rows)")
