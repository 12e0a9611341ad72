"""DAG: ERCOT MIS listing -> new documents -> per document: download, extract, parse, validate,
load or quarantine -> summary artifact."""

from __future__ import annotations

from prefect import flow

from gridflow.ingest.contract import IngestReport
from gridflow.ingest.ercot import ercot_report, failed_outcome, failure_error
from tasks.ingest import publish_report
from tasks.ingest_ercot import ingest_document, list_new_documents


@flow(name="ingest-ercot", flow_run_name="ingest-ercot-{report}", log_prints=True)
def ingest_ercot(report: str = "dam_spp", base_url: str | None = None, settlement_points: list[str] | None = None,
                 max_documents: int | None = None) -> IngestReport:
    """Ingest every ERCOT MIS document of `report` not loaded before, oldest first.

    `report`: dam_spp | dam_energy_sold | actual_load_wz | dam_hub_prices_yearly (or the report type
    id); `base_url`: default https://www.ercot.com; `settlement_points`: keep only these points / zones;
    `max_documents`: cap per run (the rest follow on the next run). Fails after the summary when
    a document could not be downloaded; every other document is still loaded.
    """
    listing = list_new_documents(report, base_url, max_documents)
    outcomes = []
    for doc in listing.new:
        # Sequential and in publish order: a re-publication must land after what it replaces.
        state = ingest_document(doc, report, base_url, settlement_points, return_state=True)
        outcomes.append(state.result() if state.is_completed() else
                        failed_outcome(doc, state.result(raise_on_failure=False)))
    summary = publish_report(ercot_report(listing, outcomes))
    error = failure_error(summary)
    if error is not None:
        raise error
    return summary
