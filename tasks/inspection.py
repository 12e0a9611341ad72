"""Tasks of the inspection plan: rank the degraded transformers, publish the plan as artifacts."""

from __future__ import annotations

from prefect import task
from prefect.artifacts import create_markdown_artifact, create_table_artifact

from gridflow.inspection.plan import Urgency
from gridflow.inspection.planner import InspectionPlan, current_plan
from tasks.common import LIGHT

ARTIFACT_KEY = "transformer-inspection-plan"


@task(name="rank-degraded-transformers", **LIGHT)
def rank_degraded(trigger: str, lookback_days: int, urgent_margin: float) -> InspectionPlan:
    """Every unit whose latest health score is over its alarm threshold, worst first."""
    return current_plan(trigger, lookback_days, Urgency(urgent_margin=urgent_margin))


@task(name="publish-inspection-plan", **LIGHT)
def publish_plan(plan: InspectionPlan) -> int:
    """The plan as a markdown artifact and a table artifact; returns the units in it."""
    create_markdown_artifact(key=ARTIFACT_KEY, markdown=plan.markdown, description="Transformer inspection plan")
    if not plan.table.empty:
        create_table_artifact(key=f"{ARTIFACT_KEY}-table", table=plan.records(),
                              description="Degraded transformers, worst first")
    return len(plan.table)
