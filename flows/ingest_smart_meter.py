"""DAG: meter drop folder -> per file (fingerprint -> parse -> validate -> load or quarantine) -> report."""

from __future__ import annotations

from pathlib import Path

from prefect import flow

from tasks.ingest_meters import DropFolderReport, batches, ingest_meter_files, publish_meter_summary, scan_drop_folder


@flow(name="ingest-smart-meter", log_prints=True)
def ingest_smart_meter(folder: str, pattern: str = "*.csv") -> DropFolderReport:
    """Load every new meter file in `folder` once; bad files are moved to quarantine, the rest load."""
    summaries = []
    for group in batches(scan_drop_folder(folder, pattern)):
        summaries += ingest_meter_files(group, first_name=Path(group[0]).name)
    return publish_meter_summary(DropFolderReport(folder, summaries))
