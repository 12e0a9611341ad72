"""PJM day-ahead LMP files (a Data Miner 2 ``da_hrl_lmps`` CSV export): parse, validate, load or quarantine."""

from __future__ import annotations

import pandas as pd
from sqlalchemy.engine import Engine

from gridflow.ingest import files
from gridflow.ingest.contract import Outcome, Parsed
from gridflow.ingest.files import IngestTicket
from gridflow.runtime import log
from gridflow.sources.pjm_dataminer_csv import parse_da_hrl_lmps_csv
from gridflow.validation import gx_adapter
from gridflow.validation.report import ValidationReport
from gridflow.warehouse.markets import write_market_prices

# The API feed's dataset and suite: a file and the API load the same market_price rows.
DATASET = "pjm_da_lmp"
SOURCE = "pjm_da_csv"
SUITE = "pjm_da_lmp"


def parse_file(engine: Engine, ticket: IngestTicket) -> Parsed:
    """Parse the ticket's export; a file that cannot be parsed is quarantined and the ParseError re-raised."""
    return files.parse_or_quarantine(engine, ticket, parse_da_hrl_lmps_csv)


def validate_prices(frame: pd.DataFrame) -> ValidationReport:
    """Run the day-ahead LMP suite on the parsed market_price rows."""
    report = gx_adapter.validate_frame(frame, SUITE)
    log().info(report.reason)
    return report


def load_or_quarantine(engine: Engine, ticket: IngestTicket, parsed: Parsed, report: ValidationReport) -> Outcome:
    """Load a valid batch with its ledger row in one transaction; quarantine an invalid one (ValidationFailed)."""
    return files.load_or_quarantine(engine, ticket, parsed, report, write_market_prices)
