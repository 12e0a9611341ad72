"""Tasks of the `ingest-pjm-prices` flow (parse, validate, load or quarantine one day-ahead LMP
export); fingerprinting and the report are the shared tasks of `tasks.ingest`. The logic is in
`gridflow.ingest.pjm_price_file`."""

from __future__ import annotations

import pandas as pd
from prefect import task

from gridflow.ingest import pjm_price_file
from gridflow.ingest.contract import Outcome, Parsed
from gridflow.ingest.files import IngestTicket
from gridflow.validation.report import ValidationReport
from tasks.common import LIGHT, WORK, warehouse


@task(name="parse-price-file", **WORK)
def parse_price_file(ticket: IngestTicket) -> Parsed:
    """Parse a Data Miner 2 da_hrl_lmps CSV export into market_price rows."""
    return pjm_price_file.parse_file(warehouse(), ticket)


@task(name="validate-prices", **LIGHT)
def validate_prices(frame: pd.DataFrame) -> ValidationReport:
    """Run the pjm_da_lmp suite on the parsed rows."""
    return pjm_price_file.validate_prices(frame)


@task(name="load-prices-or-quarantine", **WORK)
def load_prices_or_quarantine(ticket: IngestTicket, parsed: Parsed, report: ValidationReport) -> Outcome:
    """Upsert a valid batch and close its ledger row in one transaction; quarantine an invalid one."""
    return pjm_price_file.load_or_quarantine(warehouse(), ticket, parsed, report)
