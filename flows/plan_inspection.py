"""DAG: degraded-health event -> rank every degraded transformer -> publish the plan."""

from __future__ import annotations

from prefect import flow

from gridflow import events
from gridflow.inspection.planner import InspectionPlan
from tasks.inspection import publish_plan, rank_degraded


@flow(name="plan-inspection", log_prints=True)
def plan_inspection(asset_resource: str | None = None, lookback_days: int = 365,
                    urgent_margin: float = 20.0) -> InspectionPlan:
    """The ranked inspection plan of the fleet; a trigger passes the degraded unit's resource id."""
    trigger = "manual run" if not asset_resource else f"{events.asset_id_from_resource(asset_resource)} degraded"
    plan = rank_degraded(trigger, lookback_days, urgent_margin)
    publish_plan(plan)
    print(f"{len(plan.table)} transformer(s) to inspect ({trigger})")
    return plan
