"""Tasks of the storm response: alert -> area -> outage scores per chunk -> crew plan -> artifacts.

The steps are gridflow.storm.responder; these wrappers decide retries, caching, run names and
the artifacts.
"""

from __future__ import annotations

from prefect import task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import ArtifactUpdate
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey, ArtifactFilterType
from prefect.runtime import flow_run

from gridflow.storm import responder
from gridflow.storm.chunks import ChunkScores, ScoringChunk
from gridflow.storm.plan import CrewPlan
from gridflow.storm.responder import AlertArea, AlertContext, ModelRef, PlanReport, ScoredArea
from gridflow.storm.response import restamped, restamped_description
from tasks.common import LIGHT, WORK, log


@task(name="load-alert", task_run_name="load-alert", **LIGHT)
def load_alert_context(alert_id: str) -> AlertContext:
    """The stored alert message and what to do about it: score, cancel, or nothing (stale)."""
    return responder.load_alert_context(alert_id)


# Neither persisted nor cached: for a million assets the result is 216 MB pickled, at least 1.4 s
# of writing on every run to spare a rare Retry a re-read (4-5 s from PostgreSQL, measured). A
# Retry reads what the warehouse holds now; its chunk tasks still find their cached scores when
# the rows are the same.
@task(name="read-alert-area", task_run_name="read-area-v{alert.version}", tags=["gridflow"], persist_result=False,
      cache_policy=NO_CACHE, retries=WORK["retries"], retry_delay_seconds=WORK["retry_delay_seconds"],
      retry_condition_fn=WORK["retry_condition_fn"])
def read_alert_area(alert: AlertContext) -> AlertArea:
    """The champion and the assets in the alert's counties and zones, features split into chunks."""
    return responder.read_alert_area(alert)


@task(name="score-area-chunk", task_run_name="score-chunk-{chunk.index}", **WORK)
def score_area_chunk(chunk: ScoringChunk, model: ModelRef) -> ChunkScores:
    """Outage probabilities of one chunk of the area (on a thread or a Dask worker); stores nothing."""
    return responder.score_chunk(chunk, model)


# Named score-area: an operator's Retry finds this step cached, so the area is not stored again.
@task(name="score-alert-area", task_run_name="score-area-v{alert.version}", **WORK)
def store_area_scores(alert: AlertContext, area: AlertArea, scores: list[ChunkScores]) -> ScoredArea:
    """Join the chunks' scores in row order and store them (idempotent per alert and model version)."""
    return responder.store_area_scores(alert, area, scores)


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
    """Table and markdown artifacts of the warning's current plan (active, cancelled or superseded)
    under the warning's own key; earlier plans' artifacts are re-headed SUPERSEDED or CANCELLED."""
    report = responder.plan_report(alert)
    if report.table is not None:
        create_table_artifact(key=f"{report.key}-table", table=report.table, description=report.table_description)
    create_markdown_artifact(key=report.key, markdown=report.markdown, description=report.description)
    restamp_earlier_plans(report)
    return report.markdown


def restamp_earlier_plans(report: PlanReport) -> int:
    """Rewrite, in place, the markdown artifacts of the warning's earlier runs whose plan is no
    longer what they say (e.g. ACTIVE, now SUPERSEDED): each run's own artifacts tab then tells
    the truth too. Returns the artifacts changed."""
    wanted = ArtifactFilter(key=ArtifactFilterKey(any_=[report.key]), type=ArtifactFilterType(any_=["markdown"]))
    changed = 0
    with get_client(sync_client=True) as client:
        for artifact in client.read_artifacts(artifact_filter=wanted):
            found = restamped(str(artifact.data or ""), report.statuses)
            if found is not None:
                status, text = found
                client.update_artifact(artifact.id, ArtifactUpdate(
                    data=text, description=restamped_description(artifact.description, status)))
                changed += 1
    if changed:
        log().info("%d earlier plan artifact(s) of %s re-headed", changed, report.key)
    return changed

