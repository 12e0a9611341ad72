"""Every gridflow deployment: which flow, on what schedule or trigger, with which parameters."""

from __future__ import annotations

from prefect.deployments.runner import RunnerDeployment
from prefect.events import DeploymentEventTrigger
from prefect.schedules import Cron, Interval

from flows.ingest_ercot import ingest_ercot
from flows.ingest_pjm import ingest_pjm
from flows.ingest_pjm_load import ingest_pjm_load
from flows.ingest_smart_meter import ingest_smart_meter
from flows.monitor_drift import monitor_drift
from flows.retrain import retrain

DRIFT_EVENT = "gridflow.model.drift.detected"
# Where meter exports land (an SFTP or share mount in production); a parameter, so an operator can
# point a second deployment at another folder.
METER_DROP_FOLDER = "/var/lib/gridflow/meter-dropbox"


def drift_trigger(model: str) -> DeploymentEventTrigger:
    """Run the retrain when the monitor reports drift for `model`; the reason becomes `trigger`,
    so the UI's parameters and the promotion audit row say why the run started."""
    return DeploymentEventTrigger(
        name=f"retrain-{model.replace('_', '-')}-on-drift",
        expect={DRIFT_EVENT},
        match={"prefect.resource.id": f"gridflow.model.{model}"},
        parameters={"model": "{{ event.payload.model }}", "trigger": "drift: {{ event.payload.reason }}"},
    )


def ercot_hourly(name: str, report: str, minute: int, title: str) -> RunnerDeployment:
    """An hourly ERCOT MIS report deployment; minutes are staggered so reports do not collide.

    MIS publishes DAM prices once a day but other reports hourly; new DocIDs are cheap to check.
    """
    return ingest_ercot.to_deployment(
        name=name,
        parameters={"report": report},
        schedules=[Cron(f"{minute} * * * *", timezone="America/Chicago")],
        tags=["ingest", "ercot"],
        description=f"ERCOT {title}, new documents only.",
    )


def all_deployments() -> list[RunnerDeployment]:
    """The deployments a gridflow worker or `gridflow serve` process runs."""
    return [
        ercot_hourly("dam-spp", "dam_spp", minute=15, title="DAM Settlement Point Prices (report 12331)"),
        ercot_hourly("actual-load", "actual_load_wz", minute=20,
                     title="Actual System Load by Weather Zone (report 13101)"),
        ingest_pjm.to_deployment(
            name="hrl-load-metered-daily",
            parameters={"feed": "hrl_load_metered", "zones": ["PJME"], "start": "2024-01-01"},
            # Daily: metered load arrives with a lag of days and is revised; the watermark look-back
            # re-reads the last week each run.
            schedules=[Cron("30 6 * * *", timezone="America/New_York")],
            tags=["ingest", "pjm"],
            description="PJM Data Miner 2 hrl_load_metered, incremental by watermark per zone.",
        ),
        ingest_smart_meter.to_deployment(
            name="meter-dropbox",
            parameters={"folder": METER_DROP_FOLDER},
            schedules=[Interval(900)],
            tags=["ingest", "meters"],
            description="Smart-meter interval files dropped in the folder since the last scan.",
        ),
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
            triggers=[drift_trigger("load_forecast")],
            tags=["retrain", "load_forecast"],
            description="Retrain the day-ahead load forecast and promote it through the gate "
                        "(weekly, and when the drift monitor asks).",
        ),
        monitor_drift.to_deployment(
            name="load-forecast",
            parameters={"model": "load_forecast", "window_days": 14},
            # Daily, after the previous day's metered load has landed and before the 10:00 issue.
            schedules=[Cron("0 7 * * *", timezone="America/New_York")],
            tags=["monitoring", "load_forecast"],
            description="Drift and accuracy check of the load forecast champion; emits "
                        f"{DRIFT_EVENT} when it should be retrained.",
        ),
    ]
