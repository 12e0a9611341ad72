"""Alias moves with their audit rows: promotion after the gate, and one-command rollback.

MLflow keeps no alias history, so the warehouse's append-only `promotion_audit` table is the
record of who moved `champion`, when, from which version to which, and why.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Engine

from gridflow.errors import RegistryError
from gridflow.registry import mlflow_registry as registry
from gridflow.registry.gate import GateDecision, confirm_champion
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
    # The decision as applied: the gate's, or a rejection when the champion moved since evaluation.
    decision: GateDecision | None = None


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
    """Compare-and-set `champion`: move it to the challenger if the gate passed and the champion is
    still the version the challenger was evaluated against, else reject saying it moved; record
    the decision either way.

    Read, compare, move and audit row happen under the model's champion lock, so two processes
    never both move from the same champion. The alias moves before the audit row commits: moving
    it again is harmless, so a retry after a failed audit write converges on one alias position
    and one audit row.
    """
    if decision.promote and decision.challenger_version is None:
        raise RegistryError("a promotion needs the challenger's version")
    # The audit row names the champion the challenger was compared with, beside the one it replaced.
    recorded = {**metrics, "evaluated_against": decision.champion_version}
    with audit.champion_lock(engine, model_name) as conn:
        champion = registry.alias_version(model_name, registry.CHAMPION)
        from_version = None if champion is None else champion.version
        settled = confirm_champion(decision, from_version)
        to_version = settled.challenger_version
        if settled.promote:
            if from_version == to_version:  # a retried run whose alias move already happened
                from_version = decision.champion_version
            else:
                registry.set_alias(model_name, registry.CHAMPION, to_version)
        if to_version is not None:
            registry.tag_version(model_name, to_version, {
                "gate.action": settled.action,
                "gate.reason": settled.reason,
                "gate.metric": settled.metric,
                "gate.trigger": trigger or "",
            })
        audit_id = audit.record_decision(
            conn,
            model_name=model_name,
            action=settled.action,
            from_version=from_version,
            to_version=to_version,
            actor=actor,
            reason=settled.reason,
            metrics=recorded,
            trigger=trigger,
            mlflow_run_id=mlflow_run_id,
        )
    return AliasMove(model_name, settled.action, from_version, to_version, audit_id, settled.reason, settled)


def rollback_champion(engine: Engine, model_name: str, *, actor: str, reason: str) -> AliasMove:
    """Point `champion` back at the previous champion from the audit trail, and record it; under the
    model's champion lock, so a promotion and a rollback never interleave."""
    with audit.champion_lock(engine, model_name) as conn:
        champion = registry.alias_version(model_name, registry.CHAMPION)
        if champion is None:
            raise RegistryError(f"{model_name} has no champion to roll back")
        current = champion.version
        previous = audit.previous_champion(conn, model_name)
        if previous is None:
            raise RegistryError(
                f"{model_name}: no earlier champion in the audit trail before version {current}"
            )
        registry.set_alias(model_name, registry.CHAMPION, previous)
        registry.tag_version(model_name, current, {"rollback.reason": reason, "rollback.by": actor})
        full_reason = f"rollback from version {current} to {previous}: {reason}"
        audit_id = audit.record_decision(
            conn, model_name=model_name, action="rollback", from_version=current,
            to_version=previous, actor=actor, reason=full_reason, metrics={}, trigger="operator",
        )
    return AliasMove(model_name, "rollback", current, previous, audit_id, full_reason)
