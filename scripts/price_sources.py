"""Read the shipped price files into `market_price`-shaped frames, for the price forecast's evaluation.

The same parsers as the warehouse ingestion: ERCOT's yearly DAM workbooks (report 13060, the ZIPs in
data/prices/ercot_dam/) through gridflow.sources.ercot.yearly_workbook, and PJM's Data Miner
da_hrl_lmps CSV export through gridflow.sources.pjm_dataminer_csv. Reading the files directly lets
the figures be recomputed without a warehouse.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from gridflow.provenance import PROJECT_ROOT
from gridflow.sources.ercot.yearly_workbook import parse_dam_hub_prices_yearly
from gridflow.sources.pjm_dataminer_csv import parse_da_hrl_lmps_csv
from gridflow.sources.safe_zip import extract_member

ERCOT_DIR = PROJECT_ROOT / "data" / "prices" / "ercot_dam"
PJM_CSV = PROJECT_ROOT / "data" / "prices" / "pjm_da" / "da_hrl_lmps_PJM-RTO_2025.csv"


def read_ercot_workbook(path: Path, nodes: list[str] | None = None) -> pd.DataFrame:
    """One shipped yearly ERCOT DAM ZIP as `market_price` rows (market ERCOT_DAM), optionally only `nodes`."""
    member = extract_member(path.read_bytes(), path.name, extension="xlsx")
    frame = parse_dam_hub_prices_yearly(member.data, path.name, nodes).frame
    return frame.assign(node=frame["node"].astype(str))


def read_ercot(nodes: list[str] | None = None, directory: Path = ERCOT_DIR) -> pd.DataFrame:
    """Every yearly workbook ZIP in `directory`, concatenated and sorted by node and time."""
    parts = [read_ercot_workbook(p, nodes) for p in sorted(directory.glob("*.zip"))]
    return pd.concat(parts, ignore_index=True).sort_values(["node", "interval_start_utc"], ignore_index=True)


def read_pjm_csv(path: Path = PJM_CSV) -> pd.DataFrame:
    """A Data Miner da_hrl_lmps CSV as `market_price` rows (market PJM_DA, node = pnode_id)."""
    frame = parse_da_hrl_lmps_csv(path).frame
    return frame.assign(node=frame["node"].astype(str))
