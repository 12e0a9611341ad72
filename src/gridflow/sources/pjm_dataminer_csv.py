"""Pure reader of PJM Data Miner 2 CSV exports of ``da_hrl_lmps`` (docs/data-formats.md section 2).

The export has the API's field names as its header; each row becomes the item the JSON API would
send for it (ISO times without offset, numbers, ``null`` for blanks), so the API parser
(`gridflow.sources.pjm_api.parse_da_hrl_lmps`) serves both, and the replay server can answer
like the API from a shipped export.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from gridflow.errors import ParseError
from gridflow.ingest.contract import Parsed
from gridflow.sources import pjm_api
from gridflow.sources.csv_rows import csv_data_rows

_CSV_TIME = "%m/%d/%Y %I:%M:%S %p"  # 1/1/2025 5:00:00 AM
_ISO_TIME = "%Y-%m-%dT%H:%M:%S"  # what the JSON API sends: 2025-01-01T05:00:00
_BOOLS = {"true": True, "false": False}


def _time(text: str) -> str:
    return datetime.strptime(text, _CSV_TIME).strftime(_ISO_TIME)


def _bool(text: str) -> bool:
    return _BOOLS[text.lower()]


# Column -> converter of its non-blank text into the JSON value; blanks become None, like the API's nulls.
DA_HRL_LMPS_COLUMNS: dict[str, Callable[[str], Any]] = {
    "datetime_beginning_utc": _time,
    "datetime_beginning_ept": _time,
    "pnode_id": int,
    "pnode_name": str,
    "voltage": str,
    "equipment": str,
    "type": str,
    "zone": str,
    "system_energy_price_da": float,
    "total_lmp_da": float,
    "congestion_price_da": float,
    "marginal_loss_price_da": float,
    "row_is_current": _bool,
    "version_nbr": int,
}


def da_hrl_lmps_items(data: bytes | str | Path, name: str | None = None) -> list[dict[str, Any]]:
    """Rows of a ``da_hrl_lmps`` CSV export as the API's JSON items. Raises ParseError naming the line."""
    header = list(DA_HRL_LMPS_COLUMNS)
    source, rows = csv_data_rows(data, name, "da_hrl_lmps.csv", header, "a PJM Data Miner 2 da_hrl_lmps CSV export")
    converters = list(DA_HRL_LMPS_COLUMNS.items())
    items = []
    for line, row in rows:
        item: dict[str, Any] = {}
        for (column, convert), cell in zip(converters, row, strict=True):
            text = cell.strip()
            try:
                item[column] = convert(text) if text else None
            except (ValueError, KeyError):
                raise ParseError(source, f"line {line}: bad {column} value {cell!r}") from None
        items.append(item)
    if not items:
        raise ParseError(source, "no data rows after the header")
    return items


def parse_da_hrl_lmps_csv(data: bytes | str | Path, name: str | None = None) -> Parsed:
    """A ``da_hrl_lmps`` CSV export -> ``market_price`` rows, through the API items' parser."""
    source = name or (str(data) if isinstance(data, Path) else "da_hrl_lmps.csv")
    return pjm_api.parse_da_hrl_lmps(da_hrl_lmps_items(data, source), source)
