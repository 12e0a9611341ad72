"""Combined-cycle plant hourly files (`gridflow ingest plant PATH`): parse, validate, load or quarantine.

Same contract as the other operator-named files: a ledger ticket by content hash (a file loaded
before is skipped), a parse error or a failed suite quarantines the file, a valid one is upserted
with its ledger row in one transaction. Rows are keyed by content, so the same readings in another
order (another sheet of the UCI workbook) are written again but add no row.
"""

from __future__ import annotations

from functools import partial

from sqlalchemy.engine import Engine

from gridflow.ingest import files
from gridflow.ingest.contract import IngestReport, Outcome, Parsed
from gridflow.ingest.files import IngestTicket, file_report
from gridflow.runtime import log
from gridflow.sources import ccpp
from gridflow.validation import gx_adapter
from gridflow.validation.report import ValidationReport
from gridflow.warehouse.plants import write_plant_readings

DATASET = "plant_hourly"
SOURCE = ccpp.FORMAT
SUITE = "plant_hourly"


def parse_file(engine: Engine, ticket: IngestTicket, plant_id: str = ccpp.DEFAULT_PLANT) -> Parsed:
    """Parse the ticket's file as `plant_id`'s readings; an unreadable one is quarantined and the
    ParseError re-raised."""
    return files.parse_or_quarantine(engine, ticket, partial(ccpp.parse_ccpp_csv, plant_id=plant_id))


def validate_readings(parsed: Parsed) -> ValidationReport:
    """Run the `plant_hourly` suite on a parsed batch."""
    report = gx_adapter.validate_frame(parsed.frame, SUITE)
    log().info(report.reason)
    return report


def load_or_quarantine(engine: Engine, ticket: IngestTicket, parsed: Parsed, report: ValidationReport) -> Outcome:
    """Load a valid batch with its ledger row in one transaction; quarantine an invalid one (ValidationFailed)."""
    return files.load_or_quarantine(engine, ticket, parsed, report, write_plant_readings)


def plant_report(outcome: Outcome) -> IngestReport:
    """The report of one plant file (the shape of every operator-named file)."""
    return file_report(DATASET, outcome)
