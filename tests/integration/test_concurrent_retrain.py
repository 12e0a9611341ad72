"""Two retrains of one model at once: one per-model limit for every way a retrain starts, and the
promotion as a compare-and-set on the champion the challenger was evaluated against.

On the real Prefect server, a real MLflow store and real warehouses (SQLite, PostgreSQL). The
issue's run: two `gridflow retrain load_forecast` started together both passed the gate against
champion v1 and both promoted, so the audit read `1 -> 5` then `5 -> 6` and v6 was never compared
with v5.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import uuid

import pytest

from tests.conftest import write_pjme_excerpt
from tests.integration.test_promotion_and_rollback import GATE, register

pytestmark = pytest.mark.integration




def _decide(logged, evaluated_against: str | None):
    from gridflow.registry.gate import decide_promotion

    # A clear pass on the gate's figures: only the champion's position can stop it.
    decision = decide_promotion(GATE, 3.0, 10.0, None if evaluated_against is None else 4.0, logged.version,
                                evaluated_against)
    assert decision.promote
    return decision


def _apply(engine, logged, decision):
    from gridflow.registry.promotion import apply_gate_decision

    return apply_gate_decision(engine, decision, model_name="toy", actor="test", trigger=f"test: v{logged.version}",
                               mlflow_run_id=logged.run_id, metrics={})


def test_a_pass_against_a_champion_that_moved_is_rejected_with_the_reason(engine, mlflow_store):
    from gridflow.registry import mlflow_registry as registry
    from gridflow.warehouse import audit

    v1 = register(mlflow_store, 1.0)
    assert _apply(engine, v1, _decide(v1, None)).action == "promote"
    # Both challengers were evaluated while v1 was champion; v2 is promoted first.
    v2, v3 = register(mlflow_store, 2.0), register(mlflow_store, 3.0)
    first, late = _apply(engine, v2, _decide(v2, "1")), _apply(engine, v3, _decide(v3, "1"))

    assert (first.action, first.from_version, first.to_version) == ("promote", "1", "2")
    assert (late.action, late.from_version, late.to_version) == ("reject", "2", "3")
    assert late.reason.startswith("champion moved from v1 to v2 since evaluation")
    assert late.decision is not None and not late.decision.promote
    assert registry.alias_version_number("toy", registry.CHAMPION) == "2"
    # The challenger keeps its alias: an operator sees what was refused, and why, on the version.
    challenger = registry.alias_version("toy", registry.CHALLENGER)
    assert challenger.version == "3"
    assert challenger.tags["gate.action"] == "reject" and "champion moved" in challenger.tags["gate.reason"]
    with engine.connect() as conn:
        trail = audit.decision_history(conn, "toy")[::-1]
    assert [(r["action"], r["from_version"], r["to_version"]) for r in trail] == [
        ("promote", None, "1"), ("promote", "1", "2"), ("reject", "2", "3")]
    assert [r["metrics"]["evaluated_against"] for r in trail] == [None, "1", "1"]
    assert trail[2]["reason"] == late.reason


def test_a_promotion_waits_for_a_champion_move_under_way_and_then_sees_it(engine, mlflow_store):
    import time

    from gridflow.registry import mlflow_registry as registry
    from gridflow.warehouse import audit

    v1 = register(mlflow_store, 1.0)
    _apply(engine, v1, _decide(v1, None))
    v2, v3 = register(mlflow_store, 2.0), register(mlflow_store, 3.0)
    moves, errors = [], []

    def promote_v3():
        try:
            moves.append(_apply(engine, v3, _decide(v3, "1")))
        except Exception as exc:  # shown by the assertion below
            errors.append(exc)

    # Another process is in the middle of moving the champion to v2 when v3's promotion starts.
    with audit.champion_lock(engine, "toy") as conn:
        late = threading.Thread(target=promote_v3)
        late.start()
        # Room for v3's promotion to read the alias, were it not waiting for the lock (no timing is asserted).
        time.sleep(2)
        registry.set_alias("toy", registry.CHAMPION, v2.version)
        audit.record_decision(conn, model_name="toy", action="promote", from_version="1", to_version="2",
                              actor="other process", reason="test: promoted meanwhile", metrics={})
    late.join(timeout=300)
    assert errors == []
    (move,) = moves
    assert (move.action, move.from_version, move.to_version) == ("reject", "2", "3")
    assert move.reason.startswith("champion moved from v1 to v2 since evaluation")
    assert registry.alias_version_number("toy", registry.CHAMPION) == "2"
    with engine.connect() as conn:
        assert audit.current_champion(conn, "toy") == "2"


def test_the_retrain_limit_is_created_when_missing_and_held_by_one_run(gridflow_env):
    from prefect.client.orchestration import get_client
    from prefect.concurrency.sync import concurrency

    from gridflow.model_limits import one_retrain_at_a_time, retrain_limit_name

    model = f"toy-{uuid.uuid4().hex[:8]}"
    name = retrain_limit_name(model)
    with get_client(sync_client=True) as client:
        with one_retrain_at_a_time(model):
            held = client.read_global_concurrency_limit_by_name(name)
            assert (held.limit, held.active, held.active_slots) == (1, True, 1)
            # Another process's retrain of the model waits; here it gives up after a few seconds.
            with pytest.raises(TimeoutError), concurrency(name, timeout_seconds=5, strict=True):
                pass
        assert client.read_global_concurrency_limit_by_name(name).active_slots == 0
    with concurrency(name, timeout_seconds=120, strict=True):
        pass


def _task_span(client, flow_run_id) -> tuple:
    """(first task start, last task end) of a flow run: the part it ran while holding the limit."""
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    tasks = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])))
    assert tasks, f"flow run {flow_run_id} ran no task"
    return min(t.start_time for t in tasks), max(t.end_time for t in tasks)


def test_two_cli_retrains_at_once_run_one_after_the_other_each_judged_against_the_champion_it_replaced(
        gridflow_env, monkeypatch, tmp_path):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowFilter, FlowFilterName

    from flows.ingest_pjm_load import ingest_pjm_load
    from gridflow.config import reset_settings
    from gridflow.registry import mlflow_registry as registry
    from gridflow.runtime import mlflow_ready, warehouse
    from gridflow.warehouse import audit

    # Same data every run: an equal challenger passes the gate, so each run would promote, as in the issue.
    monkeypatch.setenv("GRIDFLOW_LOAD_FORECAST__MIN_RELATIVE_IMPROVEMENT", "0")
    reset_settings()
    assert ingest_pjm_load(str(write_pjme_excerpt(tmp_path / "pjme.csv", "2013-01-01", "2016-01-01"))).status == "loaded"

    triggers = ["test: concurrent a", "test: concurrent b"]
    runs = [subprocess.Popen([sys.executable, "-m", "gridflow_cli", "retrain", "load_forecast", "--trigger", trigger],
                             env=dict(os.environ), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            for trigger in triggers]
    outputs = [run.communicate(timeout=1800)[0] for run in runs]
    for run, output in zip(runs, outputs, strict=True):
        assert run.returncode == 0, output[-4000:]

    with warehouse().connect() as conn:
        trail = audit.decision_history(conn, "load_forecast")[::-1]
        champion = audit.current_champion(conn, "load_forecast")
    seen = "\n".join(f"{r['id']} {r['trigger']}: {r['action']} {r['from_version']} -> {r['to_version']} "
                     f"(evaluated against {r['metrics'].get('evaluated_against')}) at {r['decided_at']}: {r['reason']}"
                     for r in trail) + "\n" + "\n".join(output[-3000:] for output in outputs)
    assert sorted(r["trigger"] for r in trail) == triggers, seen
    # Every decision was made against the champion it replaced: the audit chain has no gap.
    for row in trail:
        assert row["metrics"]["evaluated_against"] == row["from_version"], seen
    promoted = [r for r in trail if r["action"] == "promote"]
    assert promoted[0]["from_version"] is None, seen
    assert [r["from_version"] for r in promoted[1:]] == [r["to_version"] for r in promoted[:-1]], seen
    # The second run waited for the first, so it was evaluated against the first one's champion.
    assert trail[1]["metrics"]["evaluated_against"] == trail[0]["to_version"], seen
    assert champion == promoted[-1]["to_version"], seen
    mlflow_ready()
    assert registry.alias_version_number("load_forecast", registry.CHAMPION) == promoted[-1]["to_version"]

    with get_client(sync_client=True) as client:
        flow_runs = [r for r in client.read_flow_runs(flow_filter=FlowFilter(name=FlowFilterName(any_=["retrain"])))
                     if (r.parameters or {}).get("trigger") in triggers]
        assert sorted(r.parameters["trigger"] for r in flow_runs) == triggers
        assert all(r.state is not None and r.state.is_completed() for r in flow_runs)
        (_, first_end), (second_start, _) = sorted(_task_span(client, r.id) for r in flow_runs)
    # Both processes started together, but no task of the second ran before the first's last ended.
    assert second_start >= first_end
