"""Tasks of the plant hourly ingestion. The logic is in `gridflow.ingest.plants`; only database
hiccups are retried by Prefect, never bad data."""

from __future__ import annotations

from prefect import task

from gridflow.ingest import files
from gridflow.ingest import plants as ingest
from gridflow.ingest.contract import Outcome, Parsed
from gridflow.ingest.files import IngestTicket
from gridflow.validation.report import ValidationReport
from tasks.common import LIGHT, WORK, warehouse


@task(name="open-plant-file", **WORK)
def open_plant_file(path: str) -> IngestTicket:
    """Hash the file and open a ledger row; a file already loaded is marked skipped."""
    return files.open_ticket(warehouse(), path, ingest.DATASET, ingest.SOURCE)


@task(name="parse-plant-file", **WORK)
def parse_plant_file(ticket: IngestTicket, plant_id: str) -> Parsed:
    """Parse the CSV into `plant_hourly` rows of `plant_id` (quarantined when unreadable)."""
    return ingest.parse_file(warehouse(), ticket, plant_id)


@task(name="validate-plant-readings", **LIGHT)
def validate_plant_readings(parsed: Parsed) -> ValidationReport:
    """Run the `plant_hourly` suite on the parsed batch."""
    return ingest.validate_readings(parsed)


@task(name="load-plant-readings", **WORK)
def load_plant_readings(ticket: IngestTicket, parsed: Parsed, report: ValidationReport) -> Outcome:
    """Upsert a valid batch and close its ledger row in one transaction; quarantine an invalid one."""
    return ingest.load_or_quarantine(warehouse(), ticket, parsed, report)
