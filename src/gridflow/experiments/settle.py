"""Settling an A/B report's recommendation exactly as a retrain settles its gate: the champion alias
moves on a promote, an audit row is written either way (trigger `ab-report`), the operator's
approval (when the model requires one) is kept beside it, and the promotion or rejection is
announced as an event."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from gridflow import events
from gridflow.experiments.compare import ArmComparison
from gridflow.registry import mlflow_registry as registry
from gridflow.registry.approval import Approval
from gridflow.registry.gate import GateDecision
from gridflow.registry.promotion import AliasMove, apply_gate_decision
from gridflow.runtime import mlflow_ready

TRIGGER = "ab-report"


def settle_ab_decision(engine: Engine, model: str, decision: GateDecision, comparison: ArmComparison, *,
                       actor: str, approval: Approval | None = None) -> AliasMove:
    """Move `champion` on a promote, record the decision (the report in the audit row's metrics)
    and emit MODEL_PROMOTED or PROMOTION_REJECTED. With an `approval`, the operator is the actor."""
    mlflow_ready()
    metrics = {"ab_report": comparison.as_dict()}
    if approval is not None:
        metrics["approval"] = approval.as_dict()
        if decision.challenger_version is not None:
            registry.tag_version(model, decision.challenger_version, approval.tags())
    move = apply_gate_decision(
        engine, decision, model_name=model, actor=approval.approver if approval is not None else actor,
        trigger=TRIGGER, mlflow_run_id=comparison.challenger_run_id, metrics=metrics,
    )
    events.emit(events.Event(
        event=events.MODEL_PROMOTED if move.action == "promote" else events.PROMOTION_REJECTED,
        resource=events.resource(events.model_resource(model)),
        payload={"version": decision.challenger_version, "reason": move.reason, "audit_id": move.audit_id,
                 "trigger": TRIGGER},
    ))
    return move
