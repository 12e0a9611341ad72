"""DAG: alert event -> load alert + chain -> (Cancel: close plan) | (latest version: score area
with outage_risk@champion -> store predictions -> crew plan -> store, superseding) -> artifacts."""

from __future__ import annotations

from prefect import flow
from prefect.runtime import flow_run

from gridflow.storm.response import CANCEL, SCORE, StormResponseResult
from tasks.storm_response import (
    cancel_crew_plan,
    load_alert_context,
    plan_crews,
    publish_crew_plan,
    score_alert_area,
    store_crew_plan,
)


def _run_name() -> str:
    # NWS ids are long URNs whose tail differs per message.
    alert_id = str(flow_run.parameters.get("alert_id", ""))
    return f"storm-response-{alert_id[-24:] or 'unknown'}"


@flow(name="storm-response", flow_run_name=_run_name, log_prints=True)
def storm_response(alert_id: str) -> StormResponseResult:
    """Answer one weather-alert message: a crew staging plan for its area, or its cancellation."""
    alert = load_alert_context(alert_id)
    plan_id = None
    if alert.decision.action == CANCEL:
        cancel_crew_plan(alert)
    elif alert.decision.action == SCORE:
        area = score_alert_area(alert)
        plan = plan_crews(alert, area)
        plan_id = store_crew_plan(alert, plan, area)
    publish_crew_plan(alert)
    return StormResponseResult(alert_id, alert.chain_id, alert.version, alert.decision.action,
                               alert.decision.reason, plan_id)
