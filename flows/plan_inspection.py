"""DAG: degraded-health event -> rank every degraded transformer -> publish the plan."""

from __future__ import annotations

from prefect import flow
from prefect.runtime import flow_run

from gridflow import events, run_names
from gridflow.inspection.planner import InspectionPlan
from tasks.inspection import publish_plan, rank_degraded


def _run_name() -> str:
    resource = flow_run.parameters.get("asset_resource")
    try:
        return run_names.inspection_name(events.asset_id_from_resource(resource) if resource else None)
    except ValueError:  # not an asset resource: the run itself fails on it, saying why
        return run_names.inspection_name(str(resource))


@flow(name="plan-inspection", flow_run_name=_run_name, log_prints=True)
def plan_inspection(asset_resource: str | None = None, lookback_days: int = 365,
                    urgent_margin: float = 20.0) -> InspectionPlan:
    """The ranked inspection plan of the fleet; a trigger passes the degraded unit's resource id."""
    trigger = "manual run" if not asset_resource else f"{events.asset_id_from_resource(asset_resource)} degraded"
    plan = rank_degraded(trigger, lookback_days, urgent_margin)
    publish_plan(plan)
    print(f"{len(plan.table)} transformer(s) to inspect ({trigger})")
    return plan
