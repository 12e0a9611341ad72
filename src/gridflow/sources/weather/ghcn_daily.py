"""GHCN-Daily station history as shipped (`"",Date,tmax,tmin,prcp`; F and inches; NA = missing)
-> `weather_daily` rows for one site."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from gridflow.errors import ParseError
from gridflow.ingest.contract import Parsed
from gridflow.sources.csv_rows import csv_data_rows

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
    name, rows = csv_data_rows(data, name, "<ghcn daily csv>", HEADER, "GHCN-Daily export")
    seen: dict[date, int] = {}
    days, values = [], []
    missing = 0
    for line, row in rows:
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
