"""UCI Combined Cycle Power Plant hourly averages as shipped (Tüfekci 2014, `data/ccpp/Folds5x2_pp.csv`)
-> `plant_hourly` rows.

The source is 9,568 full-load hourly averages of 2006-2011, shuffled and without timestamps: no time
is stored because none is known. Each row is keyed by its content (`reading_key` = a digest of its
five values plus `-<n>` for the n-th identical row of the file), so a shuffle of the same rows
(the workbook's five sheets) maps to the same keys, and the 41 rows that appear twice in the source
are kept as two readings (`-1`, `-2`) as published, which is what the literature's figures are
computed on.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd

from gridflow.errors import ParseError
from gridflow.ingest.contract import Parsed
from gridflow.sources.csv_rows import csv_data_rows

FORMAT = "uci_ccpp_csv"
DEFAULT_PLANT = "uci-ccpp"
# The source's short names -> ours. Sheet1-4 of the UCI workbook call the output `PE`, Sheet5
# (and the CSV exported from it) `EP`: both are accepted.
COLUMNS: dict[str, str] = {
    "AT": "ambient_temp_c",
    "V": "exhaust_vacuum_cmhg",
    "AP": "ambient_pressure_mbar",
    "RH": "relative_humidity_pct",
    "PE": "net_output_mw",
}
HEADERS = (list(COLUMNS), [*list(COLUMNS)[:-1], "EP"])
VALUE_COLUMNS = list(COLUMNS.values())
READING_COLUMNS = ["plant_id", "reading_key", *VALUE_COLUMNS]


def content_digest(values: np.ndarray) -> str:
    """A stable digest of one row's five values (as floats, so `1011.4` and `1011.40` agree)."""
    text = "|".join(repr(float(v)) for v in values)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def reading_keys(values: np.ndarray) -> list[str]:
    """`<digest>-<n>` per row: the n-th row of the batch with that content (1-based)."""
    seen: Counter[str] = Counter()
    keys = []
    for row in values:
        digest = content_digest(row)
        seen[digest] += 1
        keys.append(f"{digest}-{seen[digest]}")
    return keys


def _number(text: str, line: int, column: str, name: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ParseError(name, f"line {line}: column {column!r} has non-numeric value {text!r}") from None
    if not np.isfinite(value):
        raise ParseError(name, f"line {line}: column {column!r} has non-finite value {text!r}")
    return value


def _open(data: bytes | str | Path, name: str | None):
    try:
        return csv_data_rows(data, name, "<ccpp csv>", HEADERS[0], "UCI CCPP CSV")
    except ParseError:
        # Only the header is checked before rows are read: this is the `EP` spelling, or no CCPP file.
        return csv_data_rows(data, name, "<ccpp csv>", HEADERS[1], f"UCI CCPP CSV; {HEADERS[0]!r} is accepted too")


def parse_ccpp_csv(data: bytes | str | Path, name: str | None = None, plant_id: str = DEFAULT_PLANT) -> Parsed:
    """Parse a UCI CCPP CSV (a path or its content) into `READING_COLUMNS` rows of `plant_id`.

    Raises ParseError on a wrong header, a short/long row or a non-numeric value, naming line and value."""
    name, rows = _open(data, name)
    header = list(COLUMNS)
    values = [[_number(cell.strip(), line, column, name) for column, cell in zip(header, row, strict=True)]
              for line, row in rows]
    array = np.array(values, dtype="float64").reshape(-1, len(header))
    frame = pd.DataFrame(array, columns=VALUE_COLUMNS)
    keys = reading_keys(array)
    frame.insert(0, "plant_id", pd.Series([plant_id] * len(keys), dtype=object))
    frame.insert(1, "reading_key", pd.Series(keys, dtype=object))
    repeated = sum(1 for key in keys if not key.endswith("-1"))
    issues = [] if len(frame) else ["the file has a header but no readings"]
    if repeated:
        issues.append(f"{repeated} row(s) repeat an earlier row exactly; kept as separate readings")
    return Parsed(frame=frame, issues=issues, rows_read=len(frame), format=FORMAT)
