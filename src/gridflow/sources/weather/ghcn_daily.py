"""GHCN-Daily station history as shipped (`"",Date,tmax,tmin,prcp`; F and inches; NA = missing)
-> `weather_daily` rows for one site."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from gridflow.errors import ParseError
from gridflow.ingest.contract import Parsed

HEADER = ["", "Date", "tmax", "tmin", "prcp"]
SOURCE = "ghcn_daily"
FORMAT = "ghcn_daily_csv"
MISSING = "NA"
_VALUES = ("tmax", "tmin", "prcp")


def _number(text: str, line: int, column: str, name: str) -> float:
    if text == MISSING or text == "":
        return np.nan
    try:
        return float(text)
    except ValueError:
        raise ParseError(name, f"line {line}: column {column!r} has non-numeric value {text!r}") from None


def _day(text: str, line: int, name: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ParseError(name, f"line {line}: Date {text!r} is not YYYY-MM-DD") from None


def parse_ghcn_daily(data: bytes | str | Path, site: str, name: str | None = None) -> Parsed:
    """Parse a GHCN-Daily CSV (a path or its bytes) into `weather_daily` rows of `site`, date-ordered.

    Raises ParseError on a wrong header, a bad date, a non-numeric value or a repeated date,
    naming the line and the value."""
    if isinstance(data, Path):
        name, data = name or str(data), data.read_bytes()
    name = name or "<ghcn daily csv>"
    text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header is None or [h.strip() for h in header] != HEADER:
        raise ParseError(name, f"line 1: header {header!r} is not {HEADER!r} (GHCN-Daily export)")
    seen: dict[date, int] = {}
    days, values = [], []
    missing = 0
    for line, row in enumerate(reader, start=2):
        if not row or all(not c.strip() for c in row):
            continue
        if len(row) != len(HEADER):
            raise ParseError(name, f"line {line}: {len(row)} fields, expected {len(HEADER)}: {row!r}")
        day = _day(row[1].strip(), line, name)
        if day in seen:
            raise ParseError(name, f"line {line}: date {day} repeats line {seen[day]}")
        seen[day] = line
        numbers = [_number(row[i].strip(), line, col, name) for i, col in enumerate(_VALUES, start=2)]
        missing += sum(1 for v in numbers if np.isnan(v))
        days.append(day)
        values.append(numbers)
    if not days:
        raise ParseError(name, "no data rows")
    array = np.array(values, dtype="float64")
    frame = pd.DataFrame({
        "site": site,
        "local_date": pd.to_datetime(pd.Index(days)).as_unit("ns"),
        "tmax_f": array[:, 0], "tmin_f": array[:, 1], "prcp_in": array[:, 2],
        "source": SOURCE,
    }).sort_values("local_date", ignore_index=True)
    issues = [f"{missing} missing value(s) (NA) kept as null"] if missing else []
    return Parsed(frame, issues, rows_read=len(days), format=FORMAT)
