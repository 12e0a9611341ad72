"""Tasks of the weather-alert poller: fetch -> select -> record -> announce -> summary artifact.

The steps are gridflow.storm.alert_intake and gridflow.storm.announce; these wrappers decide
retries, caching and the artifact.
"""

from __future__ import annotations

from prefect import task
from prefect.artifacts import create_table_artifact

from gridflow.storm import alert_intake
from gridflow.storm.alert_intake import (
    AlertIngestSummary,
    AlertSelection,
    FetchedAlerts,
    record_selection,
    select_fetched,
    summarize,
    summary_table,
)
from gridflow.storm.announce import Announced, announce_pending
from gridflow.warehouse.alerts import AlertChange
from tasks.common import LIGHT, WORK, log


@task(name="fetch-active-alerts", task_run_name="fetch-nws-alerts", **WORK)
def fetch_active_alerts(areas: list[str] | None = None, base_url: str | None = None) -> FetchedAlerts:
    """Conditional GET of the active alerts of `areas` (default: settings.storm.areas)."""
    return alert_intake.fetch_active_alerts(areas, base_url)


@task(name="select-storm-alerts", **LIGHT)
def select_alerts(fetched: FetchedAlerts) -> AlertSelection:
    """Parse the list and keep the storm warnings (nothing to do when it was not modified)."""
    return select_fetched(fetched)


@task(name="record-alerts", **WORK)
def record_alerts(selection: AlertSelection, fetched: FetchedAlerts) -> list[AlertChange]:
    """Store new messages, link chains, remember the validators: one transaction."""
    return record_selection(selection, "poll", fetched)


@task(name="announce-alerts", **LIGHT)
def announce_alerts(changes: list[AlertChange]) -> list[Announced]:
    """Emit ``gridflow.weather.alert.*`` for every pending row (this run's changes and any left over)."""
    return announce_pending()


@task(name="publish-alerts-summary", **LIGHT)
def publish_alerts_summary(fetched: FetchedAlerts, selection: AlertSelection, changes: list[AlertChange],
                           announced: list[Announced]) -> AlertIngestSummary:
    """Table artifact: one row per message seen, totals in the description."""
    summary = summarize(selection, changes, announced, fetched.not_modified)
    create_table_artifact(key="poll-weather-alerts", table=summary_table(summary, selection),
                          description=summary.describe())
    log().info(summary.describe())
    return summary
