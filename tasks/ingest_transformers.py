"""Tasks of the transformer-reading ingestion. The logic is in `gridflow.ingest.transformers`; only
database hiccups are retried by Prefect, never bad data."""

from __future__ import annotations

from prefect import task

from gridflow.ingest import files
from gridflow.ingest import transformers as ingest
from gridflow.ingest.contract import Outcome, Parsed
from gridflow.ingest.files import IngestTicket
from gridflow.validation.report import ValidationReport
from tasks.common import LIGHT, WORK, warehouse


@task(name="open-transformer-file", **WORK)
def open_transformer_file(path: str) -> IngestTicket:
    """Hash the file and open a ledger row; a file already loaded is marked skipped."""
    return files.open_ticket(warehouse(), path, ingest.DATASET, ingest.SOURCE)


@task(name="parse-transformer-file", **WORK)
def parse_transformer_file(ticket: IngestTicket) -> Parsed:
    """Parse the CSV into `transformer_reading` rows (quarantined when unreadable)."""
    return ingest.parse_file(warehouse(), ticket)


@task(name="validate-transformer-readings", **LIGHT)
def validate_transformer_readings(parsed: Parsed) -> ValidationReport:
    """Run the `transformer_reading` suite on the parsed batch."""
    return ingest.validate_readings(parsed)


@task(name="load-transformer-readings", **WORK)
def load_transformer_readings(ticket: IngestTicket, parsed: Parsed, report: ValidationReport) -> Outcome:
    """Upsert a valid batch and close its ledger row in one transaction; quarantine an invalid one."""
    return ingest.load_or_quarantine(warehouse(), ticket, parsed, report)
