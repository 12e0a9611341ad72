"""DAG: PJM hourly load file -> fingerprint -> parse -> validate -> load (or quarantine) -> report."""

from __future__ import annotations

from pathlib import Path

from prefect import flow
from prefect.runtime import flow_run

from gridflow.ingest.contract import IngestReport
from gridflow.ingest.files import file_report, skipped_outcome
from tasks.ingest import load_or_quarantine, open_ingest, parse_load_file, publish_report, validate_batch


def _run_name() -> str:
    return f"ingest-pjm-load-{Path(flow_run.parameters['path']).name}"


@flow(name="ingest-pjm-load", flow_run_name=_run_name, log_prints=True)
def ingest_pjm_load(path: str) -> IngestReport:
    """Load one PJM hourly load CSV into the warehouse, once, and only if it passes its suite."""
    ticket = open_ingest(path, dataset="pjm_load", source="pjm_load_csv")
    if ticket.already_loaded_by is not None:
        return publish_report(file_report(ticket.dataset, skipped_outcome(ticket)))
    parsed = parse_load_file(ticket)
    report = validate_batch(parsed.frame, suite="pjm_load")
    outcome = load_or_quarantine(ticket, parsed, report)
    return publish_report(file_report(ticket.dataset, outcome))
