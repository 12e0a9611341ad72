"""Read the shipped price files into `market_price`-shaped frames, for the price forecast's evaluation.

ERCOT's yearly DAM workbooks (one sheet per month: Delivery Date, Hour Ending, Repeated Hour Flag,
Settlement Point, Settlement Point Price) and PJM's Data Miner da_hrl_lmps CSV export. The
warehouse ingestion of the same files is gridflow.ingest's job; this reader exists so the figures
can be recomputed from the files alone.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd

from gridflow.sources.ercot import times
from gridflow.sources.pjm_api import parse_da_hrl_lmps

ERCOT_DIR = Path("/work/shared/data/prices/ercot_dam")
PJM_CSV = Path("/work/shared/data/prices/pjm_da/da_hrl_lmps_PJM-RTO_2025.csv")


def read_ercot_workbook(path: Path, nodes: list[str] | None = None) -> pd.DataFrame:
    """One yearly ERCOT DAM workbook as `market_price` rows (market ERCOT_DAM), optionally only `nodes`."""
    sheets = pd.read_excel(path, sheet_name=None, dtype=str)
    raw = pd.concat(sheets.values(), ignore_index=True)
    if nodes is not None:
        raw = raw[raw["Settlement Point"].isin(nodes)].reset_index(drop=True)
    source = path.name
    dates = times.parse_delivery_date(raw["Delivery Date"], source, "Delivery Date")
    hour_ending = times.parse_hour_ending(raw["Hour Ending"], source)
    repeated = times.parse_dst_flag(raw["Repeated Hour Flag"], len(raw), source)
    converted = times.to_utc(dates, hour_ending, repeated, raw["Settlement Point"].to_numpy(), source)
    return pd.DataFrame({
        "market": "ERCOT_DAM",
        "node": raw["Settlement Point"].astype(str).to_numpy(),
        "interval_start_utc": converted.interval_start_utc,
        "interval_minutes": np.full(len(raw), 60, dtype="int64"),
        "interval_start_local": converted.interval_start_local,
        "is_dst": converted.is_dst,
        "price_usd_per_mwh": pd.to_numeric(raw["Settlement Point Price"]).to_numpy(dtype="float64"),
    })


def read_ercot(nodes: list[str] | None = None, directory: Path = ERCOT_DIR) -> pd.DataFrame:
    """Every yearly workbook in `directory`, concatenated and sorted by node and time."""
    parts = [read_ercot_workbook(p, nodes) for p in sorted(directory.glob("*.xlsx"))]
    return pd.concat(parts, ignore_index=True).sort_values(["node", "interval_start_utc"], ignore_index=True)


def read_pjm_csv(path: Path = PJM_CSV) -> pd.DataFrame:
    """A Data Miner da_hrl_lmps CSV as `market_price` rows (market PJM_DA, node = pnode_id)."""
    with path.open(newline="") as fh:
        items = list(csv.DictReader(fh))
    # The export writes US-style clock times ("1/1/2025 5:00:00 AM"); the API parser reads ISO 8601.
    for column in ("datetime_beginning_utc", "datetime_beginning_ept"):
        stamps = pd.to_datetime([item[column] for item in items], format="%m/%d/%Y %I:%M:%S %p")
        for item, stamp in zip(items, stamps.strftime("%Y-%m-%dT%H:%M:%S"), strict=True):
            item[column] = stamp
    frame = parse_da_hrl_lmps(items, source=path.name).frame
    return frame.assign(node=frame["node"].astype(str))
