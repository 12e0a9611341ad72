"""Transformer dissolved-gas analysis and oil tests as shipped (Arias Velásquez & Mejía Lara 2020,
`data/transformer/transformer_health_index.csv`) -> `transformer_reading` rows.

The source has no asset id and no sample date: `asset_id` is `TX-0001`.. by row order and each
row is that unit's only reading (`reading_id` = `<asset_id>-S1`); `sampled_at_utc` stays null.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from gridflow.errors import ParseError
from gridflow.ingest.contract import Parsed
from gridflow.sources.csv_rows import csv_data_rows

FORMAT = "transformer_health_index_csv"
# The source's header, misspellings ("Oxigen", "Acethylene") included, -> our column names.
COLUMNS: dict[str, str] = {
    "Hydrogen": "hydrogen_ppm",
    "Oxigen": "oxygen_ppm",
    "Nitrogen": "nitrogen_ppm",
    "Methane": "methane_ppm",
    "CO": "co_ppm",
    "CO2": "co2_ppm",
    "Ethylene": "ethylene_ppm",
    "Ethane": "ethane_ppm",
    "Acethylene": "acetylene_ppm",
    "DBDS": "dbds",
    "Power factor": "power_factor",
    "Interfacial V": "interfacial_v",
    "Dielectric rigidity": "dielectric_rigidity",
    "Water content": "water_content",
    "Health index": "health_index",
    "Life expectation": "life_expectation",
}
HEADER = list(COLUMNS)
VALUE_COLUMNS = list(COLUMNS.values())
GAS_COLUMNS = [c for c in VALUE_COLUMNS if c.endswith("_ppm")]
READING_COLUMNS = ["asset_id", "reading_id", *VALUE_COLUMNS, "sampled_at_utc"]


def asset_id(row_number: int) -> str:
    """The id given to the `row_number`-th data row (1-based): `TX-0001`.."""
    return f"TX-{row_number:04d}"


def _number(text: str, line: int, column: str, name: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ParseError(name, f"line {line}: column {column!r} has non-numeric value {text!r}") from None
    if not np.isfinite(value):
        raise ParseError(name, f"line {line}: column {column!r} has non-finite value {text!r}")
    return value


def parse_transformer_csv(data: bytes | str | Path, name: str | None = None) -> Parsed:
    """Parse the transformer health-index CSV (a path or its content) into `READING_COLUMNS` rows.

    Raises ParseError on a wrong header, a short/long row or a non-numeric value, naming line and value."""
    name, rows = csv_data_rows(data, name, "<transformer csv>", HEADER, "transformer health index CSV")
    values: list[list[float]] = []
    for line, row in rows:
        values.append([_number(cell.strip(), line, column, name) for column, cell in zip(HEADER, row, strict=True)])
    frame = pd.DataFrame(np.array(values, dtype="float64").reshape(-1, len(HEADER)), columns=VALUE_COLUMNS)
    ids = [asset_id(i) for i in range(1, len(frame) + 1)]
    frame.insert(0, "asset_id", ids)
    frame.insert(1, "reading_id", [f"{a}-S1" for a in ids])
    # The source publishes no sample date: unknown, not invented.
    frame["sampled_at_utc"] = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns, UTC]")
    issues = [] if len(frame) else ["the file has a header but no readings"]
    return Parsed(frame=frame, issues=issues, rows_read=len(frame), format=FORMAT)
