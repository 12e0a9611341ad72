"""Tasks of the `ingest-pjm-load` flow (fingerprint, parse, validate, load or quarantine) and the one
artifact task every ingestion flow ends with. The logic is in `gridflow.ingest`."""

from __future__ import annotations

import pandas as pd
from prefect import task
from prefect.artifacts import create_table_artifact

from gridflow.ingest import files, pjm_file
from gridflow.ingest.contract import IngestReport, Outcome, Parsed
from gridflow.ingest.files import IngestTicket
from gridflow.validation.report import ValidationReport
from tasks.common import LIGHT, WORK, warehouse


@task(name="open-ingest", task_run_name="open-ingest-{dataset}", **WORK)
def open_ingest(path: str, dataset: str, source: str) -> IngestTicket:
    """Hash the file and open a ledger row; a file already loaded is marked skipped."""
    return files.open_ticket(warehouse(), path, dataset, source)


@task(name="parse-load-file", **WORK)
def parse_load_file(ticket: IngestTicket) -> Parsed:
    """Parse a PJM hourly load CSV (Data Miner export or Kaggle file) into the canonical frame."""
    return pjm_file.parse_file(warehouse(), ticket)


@task(name="validate-batch", task_run_name="validate-{suite}", **LIGHT)
def validate_batch(frame: pd.DataFrame, suite: str) -> ValidationReport:
    """Run the dataset's expectation suite on the parsed batch."""
    return pjm_file.validate_load(frame, suite)


@task(name="load-or-quarantine", **WORK)
def load_or_quarantine(ticket: IngestTicket, parsed: Parsed, report: ValidationReport) -> Outcome:
    """Upsert a valid batch and close its ledger row in one transaction; quarantine an invalid one."""
    return pjm_file.load_or_quarantine(warehouse(), ticket, parsed, report)


@task(name="publish-ingest-summary", **LIGHT)
def publish_report(report: IngestReport) -> IngestReport:
    """Table artifact of what an ingestion run saw and did."""
    create_table_artifact(key=report.artifact_key, table=report.table_rows(), description=report.description)
    return report
