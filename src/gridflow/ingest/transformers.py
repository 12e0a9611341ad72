"""Transformer DGA / oil-test files (`gridflow ingest transformers PATH`): parse, validate, load or quarantine.

Same contract as the other operator-named files: a ledger ticket by content hash (a file loaded
before is skipped), a parse error or a failed suite quarantines the file, a valid one is upserted
with its ledger row in one transaction.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Engine

from gridflow.errors import ParseError, ValidationFailed
from gridflow.ingest.batch import Entry, load_batch
from gridflow.ingest.contract import IngestReport, Outcome, Parsed
from gridflow.ingest.files import IngestTicket, file_report
from gridflow.ingest.quarantine import quarantine
from gridflow.runtime import log
from gridflow.sources import transformer_dga
from gridflow.validation import gx_adapter
from gridflow.validation.report import ValidationReport
from gridflow.warehouse.transformers import write_transformer_readings

DATASET = "transformer_reading"
SOURCE = "transformer_health_index_csv"
SUITE = "transformer_reading"


def parse_file(engine: Engine, ticket: IngestTicket) -> Parsed:
    """Parse the ticket's file; an unreadable one is quarantined and the ParseError re-raised."""
    try:
        return transformer_dga.parse_transformer_csv(Path(ticket.path))
    except ParseError as exc:
        quarantine(engine, ticket.dataset, ticket.ledger_id, str(exc), {"parse_error": exc.detail},
                   name=Path(ticket.path).name, path=ticket.path)
        raise


def validate_readings(parsed: Parsed) -> ValidationReport:
    """Run the `transformer_reading` suite on a parsed batch."""
    report = gx_adapter.validate_frame(parsed.frame, SUITE)
    log().info(report.reason)
    return report


def load_or_quarantine(engine: Engine, ticket: IngestTicket, parsed: Parsed, report: ValidationReport) -> Outcome:
    """Load a valid batch with its ledger row in one transaction; quarantine an invalid one (ValidationFailed)."""
    if not report.success:
        quarantine(engine, ticket.dataset, ticket.ledger_id, report.reason, report.as_dict(),
                   name=Path(ticket.path).name, path=ticket.path, rows_read=parsed.rows_read)
        raise ValidationFailed(ticket.dataset, [f.as_dict() for f in report.failures], ticket.ledger_id)
    entry = Entry(ticket.source, ticket.dataset, ticket.path, ticket.sha256, ticket.ledger_id)
    loaded = load_batch(engine, entry, write_transformer_readings, parsed)
    return Outcome(ticket.path, "loaded", parsed.rows_read, loaded.rows_written, ticket.ledger_id,
                   "validated and loaded", list(parsed.issues))


def transformer_report(outcome: Outcome) -> IngestReport:
    """The report of one transformer file (the shape of every operator-named file)."""
    return file_report(DATASET, outcome)
