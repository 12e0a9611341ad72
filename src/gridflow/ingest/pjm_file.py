"""PJM hourly load files (Data Miner 2 CSV export or Kaggle format): parse, validate, load or quarantine."""

from __future__ import annotations

import pandas as pd
from sqlalchemy.engine import Engine

from gridflow.ingest import files
from gridflow.ingest.contract import Outcome, Parsed
from gridflow.ingest.files import IngestTicket
from gridflow.runtime import log
from gridflow.sources import pjm_load_csv
from gridflow.validation import gx_adapter
from gridflow.validation.report import ValidationReport
from gridflow.validation.views import load_validation_view
from gridflow.warehouse.loads import write_load_observations

DATASET = "pjm_load"
SOURCE = "pjm_load_csv"
SUITE = "pjm_load"


def parse_file(engine: Engine, ticket: IngestTicket) -> Parsed:
    """Parse the ticket's file; a file that cannot be parsed is quarantined and the ParseError re-raised."""
    return files.parse_or_quarantine(engine, ticket, pjm_load_csv.detect_and_parse)


def validate_load(frame: pd.DataFrame, suite: str = SUITE) -> ValidationReport:
    """Run the load suite on a canonical load frame."""
    report = gx_adapter.validate_frame(load_validation_view(frame), suite)
    log().info(report.reason)
    return report


def load_or_quarantine(engine: Engine, ticket: IngestTicket, parsed: Parsed, report: ValidationReport) -> Outcome:
    """Load a valid batch with its ledger row in one transaction; quarantine an invalid one (ValidationFailed)."""
    return files.load_or_quarantine(engine, ticket, parsed, report, write_load_observations)
