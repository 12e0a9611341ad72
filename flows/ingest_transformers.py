"""DAG: ingest-transformer-readings: transformer DGA CSV -> fingerprint -> parse -> validate -> load
(or quarantine) -> report."""

from __future__ import annotations

from pathlib import Path

from prefect import flow
from prefect.runtime import flow_run

from gridflow.ingest.contract import IngestReport
from gridflow.ingest.files import skipped_outcome
from gridflow.ingest.transformers import transformer_report
from tasks.ingest import publish_report
from tasks.ingest_transformers import (
    load_transformer_readings,
    open_transformer_file,
    parse_transformer_file,
    validate_transformer_readings,
)


def _run_name() -> str:
    return f"ingest-transformer-readings-{Path(flow_run.parameters['path']).name}"


@flow(name="ingest-transformer-readings", flow_run_name=_run_name, log_prints=True)
def ingest_transformer_readings(path: str) -> IngestReport:
    """Load one transformer DGA / oil-test CSV into `transformer_reading`, once, and only if it passes its suite."""
    ticket = open_transformer_file(path)
    if ticket.already_loaded_by is not None:
        return publish_report(transformer_report(skipped_outcome(ticket)))
    parsed = parse_transformer_file(ticket)
    report = validate_transformer_readings(parsed)
    outcome = load_transformer_readings(ticket, parsed, report)
    return publish_report(transformer_report(outcome))
