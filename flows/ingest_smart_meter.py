"""DAG: meter drop folder -> per file (fingerprint -> parse -> validate -> load or quarantine) -> report."""

from __future__ import annotations

from pathlib import Path

from prefect import flow

from gridflow.ingest.contract import IngestReport
from gridflow.ingest.meters import batches, meter_report, scan_drop_folder
from tasks.ingest import publish_report
from tasks.ingest_meters import ingest_meter_files


@flow(name="ingest-smart-meter", log_prints=True)
def ingest_smart_meter(folder: str, pattern: str = "*.csv") -> IngestReport:
    """Load every new meter file in `folder` once; bad files are moved to quarantine, the rest load."""
    outcomes = []
    for group in batches(scan_drop_folder(folder, pattern)):
        outcomes += ingest_meter_files(group, first_name=Path(group[0]).name)
    return publish_report(meter_report(folder, outcomes))
