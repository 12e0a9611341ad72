"""PJM hourly load files (Data Miner 2 CSV export or Kaggle format): parse, validate, load or quarantine."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from sqlalchemy.engine import Engine

from gridflow.errors import ParseError, ValidationFailed
from gridflow.ingest.batch import Entry, load_batch
from gridflow.ingest.contract import Outcome, Parsed
from gridflow.ingest.files import IngestTicket
from gridflow.ingest.quarantine import quarantine
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
    try:
        return pjm_load_csv.detect_and_parse(Path(ticket.path))
    except ParseError as exc:
        _quarantine(engine, ticket, str(exc), {"parse_error": exc.detail})
        raise


def validate_load(frame: pd.DataFrame, suite: str = SUITE) -> ValidationReport:
    """Run the load suite on a canonical load frame."""
    report = gx_adapter.validate_frame(load_validation_view(frame), suite)
    log().info(report.reason)
    return report


def load_or_quarantine(engine: Engine, ticket: IngestTicket, parsed: Parsed, report: ValidationReport) -> Outcome:
    """Load a valid batch with its ledger row in one transaction; quarantine an invalid one (ValidationFailed)."""
    if not report.success:
        _quarantine(engine, ticket, report.reason, report.as_dict())
        raise ValidationFailed(ticket.dataset, [fl.as_dict() for fl in report.failures], ticket.ledger_id)
    entry = Entry(ticket.source, ticket.dataset, ticket.path, ticket.sha256, ticket.ledger_id)
    loaded = load_batch(engine, entry, write_load_observations, parsed)
    return Outcome(ticket.path, "loaded", parsed.rows_read, loaded.rows_written, ticket.ledger_id,
                   "validated and loaded", list(parsed.issues))


def _quarantine(engine: Engine, ticket: IngestTicket, reason: str, details: dict) -> None:
    quarantine(engine, ticket.dataset, ticket.ledger_id, reason, details, name=Path(ticket.path).name,
               path=ticket.path)
