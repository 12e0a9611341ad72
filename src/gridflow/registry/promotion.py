"""Alias moves with their audit rows: promotion after the gate, and one-command rollback.

MLflow keeps no alias history, so the warehouse's append-only `promotion_audit` table is the
record of who moved `champion`, when, from which version to which, and why.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Engine

from gridflow.errors import RegistryError
from gridflow.registry import mlflow_registry as registry
from gridflow.registry.gate import GateDecision
from gridflow.warehouse import audit


@dataclass(frozen=True)
class AliasMove:
    """The outcome of a promotion decision or rollback as recorded."""

    model_name: str
    action: str
    from_version: str | None
    to_version: str | None
    audit_id: int
    reason: str


def apply_gate_decision(
    engine: Engine,
    decision: GateDecision,
    *,
    model_name: str,
    actor: str,
    trigger: str | None,
    mlflow_run_id: str | None,
    metrics: dict,
) -> AliasMove:
    """Move `champion` to the challenger if the gate passed; record the decision either way.

    The alias moves before the audit row is written: moving it again is harmless, so a retry after
    a failed audit write converges on one alias position and one audit row.
    """
    current = registry.alias_version(model_name, registry.CHAMPION)
    from_version = None if current is None else current.version
    to_version = decision.challenger_version
    if decision.promote:
        if to_version is None:
            raise RegistryError("a promotion needs the challenger's version")
        registry.set_alias(model_name, registry.CHAMPION, to_version)
        if from_version == to_version:  # a retried run whose alias move already happened
            from_version = decision.champion_version
    if to_version is not None:
        registry.tag_version(model_name, to_version, {
            "gate.action": decision.action,
            "gate.reason": decision.reason,
            "gate.metric": decision.metric,
            "gate.trigger": trigger or "",
        })
    with engine.begin() as conn:
        audit_id = audit.record_decision(
            conn,
            model_name=model_name,
            action=decision.action,
            from_version=from_version,
            to_version=to_version,
            actor=actor,
            reason=decision.reason,
            metrics=metrics,
            trigger=trigger,
            mlflow_run_id=mlflow_run_id,
        )
    return AliasMove(model_name, decision.action, from_version, to_version, audit_id, decision.reason)


def rollback_champion(engine: Engine, model_name: str, *, actor: str, reason: str) -> AliasMove:
    """Point `champion` back at the previous champion from the audit trail, and record it."""
    current = registry.alias_version(model_name, registry.CHAMPION)
    if current is None:
        raise RegistryError(f"{model_name} has no champion to roll back")
    with engine.connect() as conn:
        previous = audit.previous_champion(conn, model_name)
    if previous is None:
        raise RegistryError(
            f"{model_name}: no earlier champion in the audit trail before version {current.version}"
        )
    registry.set_alias(model_name, registry.CHAMPION, previous)
    registry.tag_version(model_name, current.version, {"rollback.reason": reason, "rollback.by": actor})
    full_reason = f"rollback from version {current.version} to {previous}: {reason}"
    with engine.begin() as conn:
        audit_id = audit.record_decision(
            conn, model_name=model_name, action="rollback", from_version=current.version,
            to_version=previous, actor=actor, reason=full_reason, metrics={}, trigger="operator",
        )
    return AliasMove(model_name, "rollback", current.version, previous, audit_id, full_reason)
