"""DAG: PJM day-ahead LMP export (Data Miner 2 da_hrl_lmps CSV) -> fingerprint -> parse -> validate
-> load into market_price (or quarantine) -> report."""

from __future__ import annotations

from pathlib import Path

from prefect import flow
from prefect.runtime import flow_run

from gridflow.ingest.contract import IngestReport
from gridflow.ingest.files import file_report, skipped_outcome
from gridflow.ingest.pjm_price_file import DATASET, SOURCE
from tasks.ingest import open_ingest, publish_report
from tasks.ingest_pjm_prices import load_prices_or_quarantine, parse_price_file, validate_prices


def _run_name() -> str:
    return f"ingest-pjm-prices-{Path(flow_run.parameters['path']).name}"


@flow(name="ingest-pjm-prices", flow_run_name=_run_name, log_prints=True)
def ingest_pjm_prices(path: str) -> IngestReport:
    """Load one PJM day-ahead LMP export into market_price, once, and only if it passes its suite."""
    ticket = open_ingest(path, dataset=DATASET, source=SOURCE)
    if ticket.already_loaded_by is not None:
        return publish_report(file_report(ticket.dataset, skipped_outcome(ticket)))
    parsed = parse_price_file(ticket)
    report = validate_prices(parsed.frame)
    outcome = load_prices_or_quarantine(ticket, parsed, report)
    return publish_report(file_report(ticket.dataset, outcome))
