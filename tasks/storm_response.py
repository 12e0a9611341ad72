"""Tasks of the storm response: alert -> area -> outage scores -> crew plan -> artifacts.

The steps are gridflow.storm.responder; these wrappers decide retries, caching, run names and
the artifacts.
"""

from __future__ import annotations

from prefect import task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.runtime import flow_run

from gridflow.storm import responder
from gridflow.storm.plan import CrewPlan
from gridflow.storm.responder import AlertContext, ScoredArea
from tasks.common import LIGHT, WORK

ARTIFACT_KEY = "storm-crew-plan"


@task(name="load-alert", task_run_name="load-alert", **LIGHT)
def load_alert_context(alert_id: str) -> AlertContext:
    """The stored alert message and what to do about it: score, cancel, or nothing (stale)."""
    return responder.load_alert_context(alert_id)


@task(name="score-alert-area", task_run_name="score-area-v{alert.version}", **WORK)
def score_alert_area(alert: AlertContext) -> ScoredArea:
    """Score every asset in the alert's counties and zones with the champion; store the scores."""
    return responder.score_alert_area(alert)


@task(name="build-crew-plan", task_run_name="build-plan-v{alert.version}", **LIGHT)
def plan_crews(alert: AlertContext, area: ScoredArea) -> CrewPlan:
    """Expected outages, customers out and crews per service center, with the assets to check first."""
    return responder.plan_crews(alert, area)


@task(name="store-crew-plan", task_run_name="store-plan-v{alert.version}", **WORK)
def store_crew_plan(alert: AlertContext, plan: CrewPlan, area: ScoredArea) -> int:
    """Store the plan as the warning's active one, tagged with this flow run (idempotent per version)."""
    return responder.store_crew_plan(alert, plan, area, str(flow_run.get_id() or "") or None)


@task(name="cancel-crew-plan", task_run_name="cancel-plan-v{alert.version}", **WORK)
def cancel_crew_plan(alert: AlertContext) -> int:
    """Mark the warning's active plan cancelled; returns the plans changed (0 when already done)."""
    return responder.cancel_crew_plan(alert)


@task(name="publish-crew-plan", task_run_name="publish-plan-v{alert.version}", **LIGHT)
def publish_crew_plan(alert: AlertContext) -> str:
    """Table and markdown artifacts of the warning's current plan (active, cancelled or superseded)."""
    report = responder.plan_report(alert)
    if report.table is not None:
        create_table_artifact(key=f"{ARTIFACT_KEY}-table", table=report.table, description=report.table_description)
    create_markdown_artifact(key=ARTIFACT_KEY, markdown=report.markdown, description=report.description)
    return report.markdown
