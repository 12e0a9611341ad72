"""Transformer DGA / oil-test files (`gridflow ingest transformers PATH`): parse, validate, load or quarantine.

Same contract as the other operator-named files: a ledger ticket by content hash (a file loaded
before is skipped), a parse error or a failed suite quarantines the file, a valid one is upserted
with its ledger row in one transaction.
"""

from __future__ import annotations

from sqlalchemy.engine import Engine

from gridflow.ingest import files
from gridflow.ingest.contract import IngestReport, Outcome, Parsed
from gridflow.ingest.files import IngestTicket, file_report
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
    return files.parse_or_quarantine(engine, ticket, transformer_dga.parse_transformer_csv)


def validate_readings(parsed: Parsed) -> ValidationReport:
    """Run the `transformer_reading` suite on a parsed batch."""
    report = gx_adapter.validate_frame(parsed.frame, SUITE)
    log().info(report.reason)
    return report


def load_or_quarantine(engine: Engine, ticket: IngestTicket, parsed: Parsed, report: ValidationReport) -> Outcome:
    """Load a valid batch with its ledger row in one transaction; quarantine an invalid one (ValidationFailed)."""
    return files.load_or_quarantine(engine, ticket, parsed, report, write_transformer_readings)


def transformer_report(outcome: Outcome) -> IngestReport:
    """The report of one transformer file (the shape of every operator-named file)."""
    return file_report(DATASET, outcome)
