"""Tasks of the fleet retrain: plan the zones, read back a zone this run already settled, turn each
zone's future into its outcome, publish the fleet report, conclude.

Each body calls gridflow.fleet; this module decides names, caching and the artifact."""

from __future__ import annotations

from typing import Any

from prefect import task
from prefect.artifacts import create_markdown_artifact

from gridflow.fleet import outcome, report
from gridflow.fleet.outcome import ZoneOutcome
from gridflow.fleet.plan import FleetPlan, plan_fleet, prepare_stores
from gridflow.usecases.naming import slug
from tasks.common import LIGHT, warehouse


@task(name="plan-fleet", task_run_name="plan-fleet-{use_case}", **LIGHT)
def plan_zones(use_case: str, zones: list[str] | None) -> FleetPlan:
    """The zones to retrain (default: every configured zone) and the registered model of each; the
    stores are created here, once, before the zones race to create them from several processes."""
    prepare_stores(warehouse())
    return plan_fleet(use_case, zones)


def settled_zone(model: str, zone: str, key: str, metric: str) -> ZoneOutcome | None:
    """What this fleet run already decided for the zone (a re-run of a finished zone), or None."""
    return outcome.settled(warehouse(), model, zone, key, metric)


def outcome_of(future: Any, model: str, zone: str) -> ZoneOutcome:
    """The zone's outcome once its task ends; a failed zone becomes a `failed` outcome, not an error."""
    try:
        future.wait()
        state = future.state
        if state.is_completed():
            return future.result()
        error = state.result(raise_on_failure=False)
        message = f"{type(error).__name__}: {error}" if isinstance(error, BaseException) else (state.message or "")
    except Exception as exc:  # the engine lost the result (a worker gone, an exception it could not ship)
        message = f"{type(exc).__name__}: {exc}"
    return outcome.failure(model, zone, message)


@task(name="publish-fleet-report", task_run_name="fleet-report-{plan.use_case}", **LIGHT)
def publish_fleet_report(plan: FleetPlan, outcomes: list[ZoneOutcome], trigger: str) -> str:
    """Markdown artifact: every zone's champion vs challenger vs baseline with the decision, and the failures."""
    markdown = report.fleet_markdown(plan, outcomes, trigger)
    failed = sum(o.failed for o in outcomes)
    create_markdown_artifact(key=f"{slug(plan.use_case)}-fleet", markdown=markdown,
                             description=f"{plan.use_case}: {len(outcomes) - failed} zone(s) decided, {failed} failed")
    return markdown


@task(name="conclude-fleet", task_run_name="conclude-fleet-{plan.use_case}", **LIGHT)
def conclude_fleet(plan: FleetPlan, outcomes: list[ZoneOutcome]) -> list[ZoneOutcome]:
    """The outcomes; fails naming every failed zone, so the run can be retried for those alone."""
    return report.conclude(plan, outcomes)
