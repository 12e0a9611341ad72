"""Tasks of the ERCOT MIS ingestion: list new documents, ingest each one, report. The logic is in
`gridflow.ingest.ercot`; only network errors are retried by Prefect."""

from __future__ import annotations

from prefect import task

from gridflow.ingest import ercot
from gridflow.ingest.contract import Outcome
from gridflow.ingest.ercot import Listing
from gridflow.sources.ercot.listing import Document
from tasks.common import WORK, warehouse


@task(name="list-ercot-documents", task_run_name="list-ercot-{report}", **WORK)
def list_new_documents(report: str, base_url: str | None = None, max_documents: int | None = None) -> Listing:
    """The report's CSV documents not ingested before, oldest publication first (at most `max_documents`)."""
    return ercot.list_new_documents(warehouse(), report, base_url, max_documents)


@task(name="ingest-ercot-document", task_run_name="ingest-ercot-{doc.doc_id}", **WORK)
def ingest_document(doc: Document, report: str, base_url: str | None = None,
                    settlement_points: list[str] | None = None) -> Outcome:
    """Download, extract, parse, validate and load (or quarantine) one document."""
    return ercot.ingest_document(warehouse(), doc, report, base_url, settlement_points)
