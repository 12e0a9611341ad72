"""DAG: ingest-plant-hourly: combined-cycle plant CSV -> fingerprint -> parse -> validate -> load
(or quarantine) -> report."""

from __future__ import annotations

from pathlib import Path

from prefect import flow
from prefect.runtime import flow_run

from gridflow.ingest.contract import IngestReport
from gridflow.ingest.files import skipped_outcome
from gridflow.ingest.plants import plant_report
from gridflow.sources.ccpp import DEFAULT_PLANT
from tasks.ingest import publish_report
from tasks.ingest_plant import load_plant_readings, open_plant_file, parse_plant_file, validate_plant_readings


def _run_name() -> str:
    return f"ingest-plant-hourly-{Path(flow_run.parameters['path']).name}"


@flow(name="ingest-plant-hourly", flow_run_name=_run_name, log_prints=True)
def ingest_plant_hourly(path: str, plant_id: str = DEFAULT_PLANT) -> IngestReport:
    """Load one combined-cycle plant CSV into `plant_hourly`, once, and only if it passes its suite."""
    ticket = open_plant_file(path)
    if ticket.already_loaded_by is not None:
        return publish_report(plant_report(skipped_outcome(ticket)))
    parsed = parse_plant_file(ticket, plant_id)
    report = validate_plant_readings(parsed)
    outcome = load_plant_readings(ticket, parsed, report)
    return publish_report(plant_report(outcome))
