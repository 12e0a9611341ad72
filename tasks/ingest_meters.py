"""Task of the smart-meter drop-folder flow: ingest a group of files in order (each file commits on
its own). The pipeline is in `gridflow.ingest.meters`."""

from __future__ import annotations

from prefect import task

from gridflow.ingest import meters
from gridflow.ingest.contract import Outcome
from tasks.common import WORK, warehouse


@task(name="ingest-meter-files", task_run_name="ingest-meter-files-{first_name}", **WORK)
def ingest_meter_files(paths: list[str], first_name: str = "", tz: str | None = None) -> list[Outcome]:
    """Ingest a group of drop-folder files in order; each file commits on its own."""
    return meters.ingest_files(warehouse(), paths, tz)
