"""DAG: alert event -> load alert + chain -> (Cancel: close plan) | (latest version: read area ->
score each chunk with outage_risk@champion, fanned out on the task runner -> join + store
predictions -> crew plan -> store, superseding) -> artifacts."""

from __future__ import annotations

from prefect import flow
from prefect.runtime import flow_run

from gridflow.storm import responder
from gridflow.storm.response import CANCEL, SCORE, StormResponseResult
from gridflow.task_runners import task_runner
from tasks.storm_response import (
    cancel_crew_plan,
    load_alert_context,
    plan_crews,
    publish_crew_plan,
    read_alert_area,
    score_area_chunk,
    store_area_scores,
    store_crew_plan,
)


def _run_name() -> str:
    return responder.run_name(str(flow_run.parameters.get("alert_id", "")))


# The runner is chosen at import (GRIDFLOW_TASK_RUNNER), so the process a worker starts for a run
# honours its own setting; threads unless told otherwise.
@flow(name="storm-response", flow_run_name=_run_name, log_prints=True, task_runner=task_runner())
def storm_response(alert_id: str) -> StormResponseResult:
    """Answer one weather-alert message: a crew staging plan for its area, or its cancellation."""
    alert = load_alert_context(alert_id)
    plan_id = None
    if alert.decision.action == CANCEL:
        cancel_crew_plan(alert)
    elif alert.decision.action == SCORE:
        area = read_alert_area(alert)
        chunks = [score_area_chunk.submit(chunk, area.model) for chunk in area.chunks]
        scored = store_area_scores(alert, area, chunks)
        plan = plan_crews(alert, scored)
        plan_id = store_crew_plan(alert, plan, scored)
    publish_crew_plan(alert)
    return StormResponseResult(alert_id, alert.chain_id, alert.version, alert.decision.action,
                               alert.decision.reason, plan_id)
