"""DAG: arms (champion, challenger) -> logged rows + actuals -> compare (significance test) -> gate
decision -> [operator approval, if the model asks for it] -> promote or keep, audited -> report.
The A/B and shadow experiments of the scoring API end through the same gate as a retrain."""

from __future__ import annotations

from prefect import flow

from gridflow.experiments.report import AbReportResult
from gridflow.registry.approval import apply_approval
from tasks.ab_report import (
    compare_arms,
    find_arms,
    gate_comparison,
    load_scored_rows,
    publish_ab_report,
    record_decision,
)
from tasks.approval import await_operator_approval


@flow(name="ab-report", flow_run_name="ab-report-{model}", log_prints=True)
def ab_report(model: str = "transformer_health", since: str | None = None, apply: bool = False,
              actor: str | None = None, alpha: float | None = None, min_rows: int | None = None) -> AbReportResult:
    """Compare the challenger's logged answers with the champion's on actuals (rows from `since`;
    `alpha` and `min_rows` default to the model's traffic rule); with `apply`, settle a conclusive
    recommendation (promote or keep) through the gate, approval and audit trail."""
    arms = find_arms(model)
    scored = load_scored_rows(model, arms, since)
    comparison = compare_arms(model, arms, scored, alpha, min_rows)
    decision = gate_comparison(model, comparison)
    move = None
    if apply and comparison.conclusive:
        approval = await_operator_approval(model, decision)
        decision = apply_approval(decision, approval)
        move = record_decision(model, decision, comparison, approval, actor)
    publish_ab_report(model, comparison, decision, move, apply)
    return AbReportResult(model=model, comparison=comparison, decision=decision, applied=apply, move=move)
