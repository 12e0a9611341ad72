"""Every gridflow deployment: which flow, on what schedule or trigger, with which parameters."""

from __future__ import annotations

from prefect.deployments.runner import RunnerDeployment
from prefect.schedules import Cron

from flows.ingest_pjm_load import ingest_pjm_load
from flows.retrain import retrain


def all_deployments() -> list[RunnerDeployment]:
    """The deployments a gridflow worker or `gridflow serve` process runs."""
    return [
        ingest_pjm_load.to_deployment(
            name="pjm-load-file",
            tags=["ingest", "pjm"],
            description="Ingest one PJM hourly load CSV (run with parameter `path`).",
        ),
        retrain.to_deployment(
            name="load-forecast",
            parameters={"model": "load_forecast", "trigger": "schedule: weekly retrain"},
            # Weekly, after the weekend's metered data has settled; operators can run it any time.
            schedules=[Cron("0 6 * * 1", timezone="America/New_York")],
            tags=["retrain", "load_forecast"],
            description="Retrain the day-ahead load forecast and promote it through the gate.",
        ),
    ]
