"""DAG: NWS active alerts (conditional GET) -> storm warnings -> warehouse chains -> events -> summary.

Runs on an interval deployment (every 2 minutes). Each new storm warning, update or cancellation
goes out once as ``gridflow.weather.alert.issued|updated|cancelled`` (resource ``nws.alert.<id>``),
the event the storm-response deployment is triggered by.
"""

from __future__ import annotations

from prefect import flow
from prefect.runtime import flow_run

from gridflow import run_names
from gridflow.config import get_settings
from gridflow.storm.alert_intake import AlertIngestSummary
from tasks.weather_alerts import (
    announce_alerts,
    fetch_active_alerts,
    publish_alerts_summary,
    record_alerts,
    select_alerts,
)


def _run_name() -> str:
    return run_names.alerts_poll_name(flow_run.parameters.get("areas") or get_settings().storm.areas)


@flow(name="poll-weather-alerts", flow_run_name=_run_name, log_prints=True)
def poll_weather_alerts(areas: list[str] | None = None, base_url: str | None = None) -> AlertIngestSummary:
    """Poll api.weather.gov for active alerts and announce new storm warnings, updates and cancels.

    `areas`: state / marine area codes (default settings.storm.areas, e.g. ["TX"]); `base_url`:
    default settings.storm.nws_base_url (https://api.weather.gov, or a replay server offline).
    """
    fetched = fetch_active_alerts(areas, base_url)
    selection = select_alerts(fetched)
    changes = record_alerts(selection, fetched)
    announced = announce_alerts(changes)
    return publish_alerts_summary(fetched, selection, changes, announced)
