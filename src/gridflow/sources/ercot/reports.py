"""Declarative registry of the ERCOT MIS reports gridflow ingests.

Adding a report is one `ReportSpec` entry: its report type id, a parser from
`gridflow.sources.ercot.parse`, the warehouse table, its key and its write path, the dataset (which is also
the expectation suite name in `expectations/`) and the validation view the suite reads.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Table

from gridflow.errors import ConfigError
from gridflow.ingest.contract import Parsed
from gridflow.sources.ercot import parse, views, yearly_workbook
from gridflow.warehouse.documents import TableWriter
from gridflow.warehouse.loads import write_load_observations
from gridflow.warehouse.markets import write_market_prices, write_market_quantities
from gridflow.warehouse.tables import load_observation, market_price, market_quantity

Parser = Callable[[bytes, str, Collection[str] | None], Parsed]


@dataclass(frozen=True)
class ReportSpec:
    """One ERCOT report: where it comes from, how it is parsed, where and how it lands."""

    key: str  # short name used by the flow and CLI, e.g. "dam_spp"
    report_type_id: int
    name: str
    parser: Parser
    table: Table
    key_columns: tuple[str, ...]
    write: TableWriter  # the table's one write path, which owns its rule
    dataset: str  # ledger dataset and expectation suite name
    view: Callable[[pd.DataFrame], pd.DataFrame]
    friendly_prefix: str  # a report type id can serve several products: keep only this one ("" = any)
    # Daily reports are listed twice (`..._csv`, `..._xml`); yearly archives once, as one workbook.
    friendly_suffix: str = "_CSV"
    member: str = "csv"  # extension of the ZIP member the parser reads

    def matches(self, friendly_name: str) -> bool:
        """True for this report's publications in the format its parser reads (by default the CSV ones)."""
        name = friendly_name.upper()
        return name.startswith(self.friendly_prefix.upper()) and name.endswith(self.friendly_suffix.upper())


REPORTS: dict[str, ReportSpec] = {spec.key: spec for spec in (
    ReportSpec("dam_spp", 12331, "DAM Settlement Point Prices", parse.parse_dam_spp,
               market_price, ("market", "node", "interval_start_utc"), write_market_prices, "ercot_dam_spp",
               views.price_view, "DAMSPNP4190"),
    ReportSpec("dam_energy_sold", 12334, "DAM Total Energy Sold", parse.parse_dam_energy_sold,
               market_quantity, ("market", "series", "interval_start_utc"), write_market_quantities,
               "ercot_dam_energy_sold",
               # The mnemonic of NP4-193-CD was not seen in any real listing: accept any CSV document.
               views.quantity_view, ""),
    ReportSpec("actual_load_wz", 13101, "Actual System Load by Weather Zone", parse.parse_actual_load_wz,
               load_observation, ("zone", "interval_start_utc"), write_load_observations, "ercot_load",
               views.load_view, "ACTUALSYSLOADWZNP6345"),
    # NP4-180-ER: one xlsx per year (sheets Jan..Dec), the same ERCOT_DAM hub and load-zone rows as 12331.
    ReportSpec("dam_hub_prices_yearly", 13060, "Historical DAM Load Zone and Hub Prices",
               yearly_workbook.parse_dam_hub_prices_yearly, market_price, ("market", "node", "interval_start_utc"),
               write_market_prices, "ercot_dam_hub_prices_yearly", views.price_view, "DAMLZHBSPP_",
               friendly_suffix="", member="xlsx"),
)}


def get_report(key: str | int) -> ReportSpec:
    """The spec by short name ("dam_spp") or report type id (12331); ConfigError listing the known ones."""
    if isinstance(key, int) or str(key).isdigit():
        found = [s for s in REPORTS.values() if s.report_type_id == int(key)]
        if found:
            return found[0]
    elif key in REPORTS:
        return REPORTS[key]
    known = ", ".join(f"{s.key} ({s.report_type_id})" for s in REPORTS.values())
    raise ConfigError(f"unknown ERCOT report {key!r}; known: {known}")
