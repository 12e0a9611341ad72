"""DAG: meter drop folder -> per file (fingerprint -> parse -> validate -> load or quarantine) -> report."""

from __future__ import annotations

from pathlib import Path

from prefect import flow
from prefect.runtime import flow_run

from gridflow import run_names
from gridflow.errors import ParseError
from gridflow.ingest.contract import IngestReport
from gridflow.ingest.meters import batches, meter_report, scan_drop_folder
from tasks.ingest import publish_report
from tasks.ingest_meters import ingest_meter_files


def _run_name() -> str:
    folder = str(flow_run.parameters["folder"])
    try:
        files: int | None = len(scan_drop_folder(folder, flow_run.parameters.get("pattern", "*.csv")))
    except (ParseError, OSError):  # the run itself then fails on the folder, saying why
        files = None
    return run_names.meter_ingest_name(folder, files)


@flow(name="ingest-smart-meter", flow_run_name=_run_name, log_prints=True)
def ingest_smart_meter(folder: str, pattern: str = "*.csv", tz: str | None = None) -> IngestReport:
    """Load every new meter file in `folder` once; bad files are moved to quarantine, the rest load.
    `tz` is the folder's meter zone (e.g. Australia/Sydney; None: America/Chicago)."""
    outcomes = []
    for group in batches(scan_drop_folder(folder, pattern)):
        outcomes += ingest_meter_files(group, first_name=Path(group[0]).name, tz=tz)
    return publish_report(meter_report(folder, outcomes))
