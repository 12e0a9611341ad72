"""Settling the gate's decision: move `champion` or keep it, audit it, announce it."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from gridflow import events
from gridflow.registry import mlflow_registry as registry
from gridflow.registry.approval import Approval
from gridflow.registry.gate import GateDecision
from gridflow.registry.promotion import AliasMove, apply_gate_decision, rollback_champion
from gridflow.runtime import mlflow_ready
from gridflow.usecases.base import Evaluation


def settle_decision(
    engine: Engine, model: str, decision: GateDecision, logged: registry.LoggedModel, evaluation: Evaluation,
    trigger: str, *, actor: str, approval: Approval | None = None,
) -> AliasMove:
    """Move the `champion` alias on a pass (compare-and-set: only from the champion the challenger
    was evaluated against), record the decision either way, and emit MODEL_PROMOTED or
    PROMOTION_REJECTED.

    With an operator's `approval`, the operator is the decision's actor (instead of `actor`) and
    the answer is kept in the audit row and on the model version's tags."""
    mlflow_ready()
    metrics = {"challenger": evaluation.challenger, "champion": evaluation.champion,
               "baseline": evaluation.baseline, "window": [evaluation.window_start_utc, evaluation.window_end_utc]}
    if logged.recorded:
        # The gate decides on its metric alone; what the interval achieved is kept beside it.
        metrics["challenger_recorded"] = logged.recorded
    if approval is not None:
        metrics["approval"] = approval.as_dict()
        registry.tag_version(model, logged.version, approval.tags())
    move = apply_gate_decision(
        engine, decision, model_name=model,
        actor=approval.approver if approval is not None else actor,
        trigger=trigger, mlflow_run_id=logged.run_id, metrics=metrics,
    )
    # The move's action, not the gate's: a pass becomes a rejection when the champion moved meanwhile.
    events.emit(events.Event(
        event=events.MODEL_PROMOTED if move.action == "promote" else events.PROMOTION_REJECTED,
        resource=events.resource(events.model_resource(model)),
        payload={"version": logged.version, "reason": move.reason, "audit_id": move.audit_id},
    ))
    return move


def roll_back(engine: Engine, model: str, *, actor: str, reason: str) -> AliasMove:
    """Point `champion` back at the previous champion, record it, and emit MODEL_ROLLED_BACK so
    serving processes swap at once (they also poll the alias)."""
    mlflow_ready()
    move = rollback_champion(engine, model, actor=actor, reason=reason)
    events.emit(events.Event(
        event=events.MODEL_ROLLED_BACK,
        resource=events.resource(events.model_resource(model)),
        payload={"from_version": move.from_version, "version": move.to_version, "reason": reason,
                 "audit_id": move.audit_id},
    ))
    events.flush()
    return move
