"""Tasks of the daily load-forecast issue: plan the run, issue and store one zone, publish its
table and plot artifacts, and conclude (fail naming the zones that could not be issued).

Each body calls gridflow.issuing; this module decides names, retries, cache policy and artifacts."""

from __future__ import annotations

from datetime import UTC, date, datetime

from prefect import task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.runtime import flow_run

from gridflow.config import get_settings
from gridflow.issuing import issue, publish, schedule
from gridflow.issuing.issue import IssuedForecast, IssueRunResult
from gridflow.usecases.catalog import get_use_case, use_case_for_zone
from tasks.common import LIGHT, WORK, warehouse

MODEL = "load_forecast"


@task(name="plan-issue", **LIGHT)
def plan_issue(zones: list[str] | None, for_date: str | None) -> schedule.IssuePlan:
    """Zones (default: configured) and target day (default: tomorrow, market time) of this run."""
    config = get_use_case(MODEL).config
    return schedule.plan_issue(config.zones, config.market_tz, config.issue_hour_local, zones, for_date,
                               datetime.now(UTC))


@task(name="issue-zone-forecast", task_run_name="issue-{zone}-{target_date}", **WORK)
def issue_zone_forecast(zone: str, target_date: date) -> IssuedForecast:
    """The champion's P10/P50/P90 for every hour of the zone's target day, stored (first write wins)."""
    run_id = str(flow_run.get_id() or "") or None
    return issue.issue_and_store(warehouse(), use_case_for_zone(MODEL, zone), zone, target_date, run_id)


@task(name="publish-forecast", task_run_name="publish-{issued.zone}", **LIGHT)
def publish_forecast(issued: IssuedForecast) -> str:
    """Table artifact of the hours and a markdown artifact with the band-vs-last-week plot; returns the PNG path."""
    found = publish.prepare(warehouse(), issued, get_settings().home)
    create_table_artifact(key=found.key, table=found.table, description=found.description)
    create_markdown_artifact(key=f"{found.key}-plot", markdown=found.markdown, description=found.description)
    return str(found.png_path)


@task(name="conclude-issue", **LIGHT)
def conclude_issue(target_date: date, issued: list[IssuedForecast], failed: dict[str, str]) -> IssueRunResult:
    """The run's result; fails naming every zone that was not issued, after the others were."""
    return issue.conclude(target_date, issued, failed)
