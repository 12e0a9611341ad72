"""Approval before promotion: the retrain run pauses after the gate and waits for an operator.

Runs on a served deployment and is resumed through the API with the same input the Prefect UI's
form sends; the answer lands in the audit table and on the MLflow model version. A run nobody
answers in time keeps the champion.
"""

from __future__ import annotations

import asyncio
import time

import pytest
import sqlalchemy as sa

from tests.conftest import wait_final, write_pjme_excerpt
from tests.integration.served import delete_deployment_automations, served, wait_deployment

pytestmark = pytest.mark.integration

DEPLOYMENT = "retrain/load-forecast"


async def _wait_paused(client, flow_run_id, timeout: float = 300):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = await client.read_flow_run(flow_run_id)
        if run.state.is_paused():
            return run
        assert not run.state.is_final(), f"run finished without pausing: {run.state}"
        await asyncio.sleep(1)
    raise AssertionError("the retrain run never paused for approval")


async def _wait_input(client, flow_run_id, key: str, timeout: float = 30) -> dict:
    import json

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            return json.loads(await client.read_flow_run_input(flow_run_id, key))
        except Exception:
            await asyncio.sleep(0.5)
    raise AssertionError(f"input {key} never saved")


def _audit() -> list[tuple]:
    from tasks.common import warehouse

    with warehouse().connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(
            "SELECT action, actor, to_version, reason FROM promotion_audit ORDER BY id")).all()]


@pytest.fixture
def approval_env(gridflow_env, monkeypatch):
    from gridflow.config import reset_settings

    extra = {"GRIDFLOW_LOAD_FORECAST__REQUIRE_APPROVAL": "true",
             # Same data every run: an equal challenger passes the gate, so the operator decides.
             "GRIDFLOW_LOAD_FORECAST__MIN_RELATIVE_IMPROVEMENT": "0"}
    for key, value in extra.items():
        monkeypatch.setenv(key, value)
    reset_settings()
    return {**gridflow_env, **extra}


def test_operator_approves_then_rejects_through_the_api(approval_env, tmp_path):
    import mlflow
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.objects import StateType
    from prefect.flow_runs import aresume_flow_run

    from flows.ingest_pjm_load import ingest_pjm_load
    from gridflow.registry import mlflow_registry as registry

    ingest_pjm_load(str(write_pjme_excerpt(tmp_path / "pjme.csv", "2013-01-01", "2016-01-01")))

    async def decide(client, deployment, answer):
        created = await client.create_flow_run_from_deployment(
            deployment.id, parameters={"model": "load_forecast", "trigger": "test: approval"})
        paused = await _wait_paused(client, created.id)
        # The pause carries the form the UI renders; it is saved just after the state changes.
        keyset = paused.state.state_details.run_input_keyset
        schema = await _wait_input(client, created.id, keyset["schema"])
        assert {"approve", "comment", "approver"} <= set(schema["properties"])
        await aresume_flow_run(created.id, run_input=answer)
        return await wait_final(client, created.id)

    async def scenario(serve):
        async with get_client() as client:
            deployment = await wait_deployment(client, DEPLOYMENT, serve)
            approved = await decide(client, deployment, {"approve": True, "comment": "backtest looks right",
                                                          "approver": "alice"})
            rejected = await decide(client, deployment, {"approve": False, "comment": "peak hours look off",
                                                          "approver": "bob"})
            await delete_deployment_automations(client, deployment.id)
            return approved, rejected

    with served(approval_env, tmp_path / "serve.log", DEPLOYMENT) as serve:
        approved, rejected = asyncio.run(scenario(serve))

    log = (tmp_path / "serve.log").read_text()[-3000:]
    assert approved.state.type == StateType.COMPLETED, log
    assert rejected.state.type == StateType.COMPLETED, log
    (a_action, a_actor, a_version, a_reason), (r_action, r_actor, r_version, r_reason) = _audit()
    assert (a_action, a_actor, a_version) == ("promote", "alice", "1")
    assert "approved by alice: backtest looks right" in a_reason
    assert (r_action, r_actor, r_version) == ("reject", "bob", "2")
    assert "bob rejected it: peak hours look off" in r_reason

    mlflow.set_tracking_uri(f"sqlite:///{tmp_path / 'gridflow' / 'mlflow.db'}")
    client = mlflow.MlflowClient()
    assert registry.alias_version("load_forecast", registry.CHAMPION).version == "1"
    tags = {str(v.version): v.tags for v in client.search_model_versions("name='load_forecast'")}
    assert tags["1"]["approval.outcome"] == "approved" and tags["1"]["approval.by"] == "alice"
    assert tags["2"]["approval.outcome"] == "rejected" and tags["2"]["approval.comment"] == "peak hours look off"


def test_no_answer_in_time_keeps_the_champion(approval_env, monkeypatch, tmp_path):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.objects import StateType

    from flows.ingest_pjm_load import ingest_pjm_load
    from flows.retrain import retrain
    from gridflow.config import reset_settings
    from gridflow.registry import mlflow_registry as registry

    # Not a second or two: the server fails a run whose pause expired, and a slow answer to the
    # pause request itself must not be mistaken for that.
    monkeypatch.setenv("GRIDFLOW_LOAD_FORECAST__APPROVAL_TIMEOUT_HOURS", str(15 / 3600))
    reset_settings()
    ingest_pjm_load(str(write_pjme_excerpt(tmp_path / "pjme.csv", "2013-01-01", "2016-01-01")))

    state = retrain("load_forecast", trigger="test: approval timeout", return_state=True)
    result = state.result()

    assert result.decision.action == "reject"
    assert "no operator approved it in time" in result.decision.reason
    (action, actor, version, _), = _audit()
    assert (action, actor, version) == ("reject", "nobody", "1")

    # The run itself: it paused for the operator, then ended as a completed run that kept the
    # champion (its state's type, not its name: the name says the decision).
    async def history():
        async with get_client() as client:
            run = await client.read_flow_run(state.state_details.flow_run_id)
            return run, await client.read_flow_run_states(run.id)

    run, states = asyncio.run(history())
    assert state.type == StateType.COMPLETED and run.state.type == StateType.COMPLETED, run.state
    assert StateType.PAUSED in [s.type for s in states], [s.name for s in states]
    assert registry.alias_version("load_forecast", registry.CHAMPION) is None
