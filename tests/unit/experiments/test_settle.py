"""An A/B verdict goes through the same path as a retrain's gate: `champion` moves on a promote, an
audit row (trigger `ab-report`, the report in its metrics) is written either way, an operator's
answer is kept, and the outcome is announced."""

from __future__ import annotations

import pytest

from gridflow import events
from gridflow.experiments import settle
from gridflow.experiments.compare import Arms, compare_arms, to_gate_decision
from gridflow.registry import mlflow_registry as registry
from gridflow.registry.approval import Approval, apply_approval, approval_request
from gridflow.warehouse import audit
from gridflow.warehouse.engine import make_engine, upgrade
from tests.unit.experiments.logs import shadow_log

ARMS = Arms("1", "2", "run-2")


class FakeRegistry:
    """Aliases and tags of one model, in memory."""

    def __init__(self, monkeypatch) -> None:
        self.aliases = {registry.CHAMPION: "1", registry.CHALLENGER: "2"}
        self.tags: dict[str, dict[str, str]] = {}
        self.events: list[events.Event] = []
        monkeypatch.setattr(registry, "alias_version", self.alias_version)
        monkeypatch.setattr(registry, "set_alias", self.set_alias)
        monkeypatch.setattr(registry, "tag_version", self.tag_version)
        monkeypatch.setattr(settle, "mlflow_ready", lambda: "memory")
        monkeypatch.setattr(events, "emit", self.events.append)

    def alias_version(self, model, alias):
        version = self.aliases.get(alias)
        return None if version is None else registry.ModelVersionInfo(model, version, f"run-{version}")

    def set_alias(self, model, alias, version):
        self.aliases[alias] = str(version)

    def tag_version(self, model, version, tags):
        self.tags.setdefault(str(version), {}).update(tags)


@pytest.fixture
def engine(tmp_path):
    eng = make_engine(f"sqlite:///{tmp_path / 'warehouse.db'}")
    upgrade(eng)
    yield eng
    eng.dispose()


def test_a_promote_moves_the_champion_and_is_audited_like_a_retrain(engine, monkeypatch):
    fake = FakeRegistry(monkeypatch)
    report = compare_arms("m", ARMS, *shadow_log(100, 5.0, 2.0))
    move = settle.settle_ab_decision(engine, "m", to_gate_decision(report), report, actor="ops")
    assert fake.aliases[registry.CHAMPION] == "2"
    assert (move.action, move.from_version, move.to_version) == ("promote", "1", "2")
    with engine.connect() as conn:
        (row,) = audit.decision_history(conn, "m")
        assert audit.current_champion(conn, "m") == "2"
    assert (row["action"], row["actor"], row["trigger"], row["mlflow_run_id"]) == ("promote", "ops", "ab-report", "run-2")
    assert row["reason"].startswith("A/B report (shadow): challenger v2 MAE")
    assert row["metrics"]["ab_report"]["recommendation"] == "promote"
    assert fake.tags["2"]["gate.action"] == "promote" and fake.tags["2"]["gate.trigger"] == "ab-report"
    (event,) = fake.events
    assert event.event == events.MODEL_PROMOTED and event.payload["audit_id"] == move.audit_id


def test_a_keep_leaves_the_champion_and_writes_a_reject_row(engine, monkeypatch):
    fake = FakeRegistry(monkeypatch)
    report = compare_arms("m", ARMS, *shadow_log(100, 3.0, 3.0, seed=1))
    move = settle.settle_ab_decision(engine, "m", to_gate_decision(report), report, actor="ops")
    assert fake.aliases[registry.CHAMPION] == "1" and move.action == "reject"
    with engine.connect() as conn:
        (row,) = audit.decision_history(conn, "m")
    assert (row["action"], row["from_version"], row["to_version"], row["trigger"]) == ("reject", "1", "2", "ab-report")
    assert "champion stays" in row["reason"]
    assert fake.events[0].event == events.PROMOTION_REJECTED


def test_an_operators_rejection_stops_the_promotion_and_is_kept(engine, monkeypatch):
    fake = FakeRegistry(monkeypatch)
    report = compare_arms("m", ARMS, *shadow_log(100, 5.0, 2.0))
    gate = to_gate_decision(report)
    # The same question a retrain puts to the operator, with the same form key.
    request = approval_request("m", gate, required=True, timeout_s=60)
    assert request is not None and request.key == "approve-m-v2"
    answer = Approval.answered(False, "alice", "wait for the winter readings")
    move = settle.settle_ab_decision(engine, "m", apply_approval(gate, answer), report, actor="ops", approval=answer)
    assert fake.aliases[registry.CHAMPION] == "1" and move.action == "reject"
    with engine.connect() as conn:
        (row,) = audit.decision_history(conn, "m")
    assert row["actor"] == "alice" and "alice rejected it" in row["reason"]
    assert row["metrics"]["approval"]["outcome"] == "rejected"
    assert fake.tags["2"]["approval.by"] == "alice"
