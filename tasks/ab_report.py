"""Tasks of the A/B report: the arms, the logged rows with their actuals, the comparison, the gate
decision, its record and the artifact.

Each body calls one function of gridflow.experiments; this module decides names, retries, cache
policy and artifacts."""

from __future__ import annotations

from prefect import task
from prefect.artifacts import create_markdown_artifact

from gridflow.config import get_settings
from gridflow.experiments import compare, data, report, settle
from gridflow.experiments.compare import ArmComparison, Arms
from gridflow.experiments.data import ScoredRows
from gridflow.registry.approval import Approval
from gridflow.registry.gate import GateDecision
from gridflow.registry.promotion import AliasMove
from gridflow.usecases.naming import slug
from tasks.common import LIGHT, WORK, log, warehouse


@task(name="find-arms", task_run_name="find-arms-{model}", **WORK)
def find_arms(model: str) -> Arms:
    """The versions `champion` and `challenger` point at now."""
    return data.find_arms(model)


@task(name="load-scored-rows", task_run_name="load-scored-rows-{model}", **WORK)
def load_scored_rows(model: str, arms: Arms, since: str | None) -> ScoredRows:
    """The prediction log rows of both versions and the use case's actuals for their keys."""
    return data.load_scored_rows(warehouse(), model, arms, since)


@task(name="compare-arms", task_run_name="compare-arms-{model}", **LIGHT)
def compare_arms(model: str, arms: Arms, scored: ScoredRows, alpha: float | None = None,
                 min_rows: int | None = None) -> ArmComparison:
    """Absolute errors per arm, the significance test and the promote / keep recommendation."""
    comparison = data.compare_logged(model, arms, scored, alpha=alpha, min_rows=min_rows)
    log().info("%s A/B report: %s - %s", model, comparison.recommendation, comparison.reason)
    return comparison


@task(name="decide-promotion", task_run_name="gate-{model}", **LIGHT)
def gate_comparison(model: str, comparison: ArmComparison) -> GateDecision:
    """The recommendation as the promotion gate's decision."""
    return compare.to_gate_decision(comparison)


@task(name="apply-decision", task_run_name="apply-decision-{model}", **WORK)
def record_decision(model: str, decision: GateDecision, comparison: ArmComparison, approval: Approval | None,
                    actor: str | None) -> AliasMove:
    """Move `champion` on a promote and write the audit row (trigger `ab-report`) either way."""
    return settle.settle_ab_decision(warehouse(), model, decision, comparison, approval=approval,
                                     actor=actor or get_settings().actor)


@task(name="publish-ab-report", task_run_name="ab-report-{model}", **LIGHT)
def publish_ab_report(model: str, comparison: ArmComparison, decision: GateDecision, move: AliasMove | None,
                      applied: bool) -> str:
    """Markdown artifact: rows and MAE per arm, difference and interval, test, recommendation, record."""
    markdown = report.markdown(comparison, decision, move, applied)
    create_markdown_artifact(key=f"{slug(model)}-ab-report", markdown=markdown,
                             description=f"{model}: {comparison.recommendation}")
    return markdown
