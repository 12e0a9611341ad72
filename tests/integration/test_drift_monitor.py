"""Drifted data -> monitor run -> drift event -> the served `retrain` deployment's trigger starts a
run -> it completes -> audit row with the drift reason. A second check inside the cool-down warns
and emits nothing.

The deployments are served by a real `gridflow serve` process; the monitor runs in-process.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time

import pytest
import sqlalchemy as sa

from tests.conftest import wait_final, write_pjme_excerpt
from tests.integration.served import wait_triggers

pytestmark = pytest.mark.integration

RETRAIN_DEPLOYMENT = "retrain/load-forecast"


async def _wait_deployment(client, name, process, timeout=180):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "the serve process died"
        try:
            deployment = await client.read_deployment_by_name(name)
        except Exception:
            await asyncio.sleep(1)
            continue
        automations = await client.read_resource_related_automations(f"prefect.deployment.{deployment.id}")
        if automations:
            return deployment
        await asyncio.sleep(1)
    raise AssertionError(f"deployment {name} and its trigger never appeared")


async def _deployment_runs(client, deployment_id):
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId

    return await client.read_flow_runs(
        deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment_id])), limit=200
    )


async def _wait_triggered_run(client, deployment_id, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for run in await _deployment_runs(client, deployment_id):
            if str(run.parameters.get("trigger", "")).startswith("drift:"):
                return run
        await asyncio.sleep(1)
    raise AssertionError("no retrain run was triggered by the drift event")


async def _delete_automations(client, deployment_id):
    for automation in await client.read_resource_related_automations(f"prefect.deployment.{deployment_id}"):
        await client.delete_automation(automation.id)


def test_drift_triggers_a_served_retrain_once(gridflow_env, tmp_path):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.objects import StateType

    from flows.ingest_pjm_load import ingest_pjm_load
    from flows.monitor_drift import monitor_drift
    from flows.retrain import retrain
    from gridflow.monitoring.decision import MonitorPolicy
    from gridflow.monitoring.scenario import shifted_period
    from gridflow.usecases.catalog import get_use_case
    from gridflow.warehouse.drift_checks import check_history
    from gridflow.warehouse.loads import read_load_observations, write_load_observations
    from tasks.common import warehouse

    # The default policy, unchanged: the champion is minutes old, so drift alone would not retrain
    # it; the grown summer also doubles its MAPE, and accuracy degradation retrains at any age.
    assert get_use_case("load_forecast").monitor == MonitorPolicy()

    # Serve first: it boots while the in-process ingest and training run.
    env = {**os.environ, **gridflow_env, "PREFECT_RUNNER_POLL_FREQUENCY": "1"}
    log = (tmp_path / "serve.log").open("wb")
    serve = subprocess.Popen([sys.executable, "-m", "gridflow_cli", "serve", "--deployment", "retrain/load-forecast"], env=env,
                             stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def serve_log() -> str:
        return (tmp_path / "serve.log").read_text(errors="replace")[-3000:]

    deployment_id = None
    try:
        ingest_pjm_load(str(write_pjme_excerpt(tmp_path / "pjme.csv", "2013-01-01", "2016-01-01")))
        first = retrain(model="load_forecast", trigger="test: first champion")
        assert first.decision.promote, first.decision

        # A summer grown by 15 %, re-dated to follow the last metered hour (31 Dec 2015).
        with warehouse().begin() as conn:
            load = read_load_observations(conn)
            write_load_observations(conn, shifted_period(load, "2015-07-01", "2015-08-01", 1.15), None)

        async def wait_served():
            async with get_client() as client:
                deployment = await _wait_deployment(client, RETRAIN_DEPLOYMENT, serve)
                await wait_triggers(client, deployment.id)  # the deployment may predate this serve
                return deployment.id

        deployment_id = asyncio.run(wait_served())

        checked = monitor_drift(model="load_forecast", window_days=14)
        print("first check:", checked.action, "-", checked.reason, "| accuracy:", checked.accuracy)
        assert checked.action == "retrain", checked.reason
        assert checked.event_id is not None
        assert checked.drift_share >= 0.5
        assert checked.accuracy["current_error"] > 1.2 * checked.accuracy["reference_error"]

        async def triggered_retrain():
            async with get_client() as client:
                run = await _wait_triggered_run(client, deployment_id)
                return await wait_final(client, run.id)

        run = asyncio.run(triggered_retrain())
        assert run.state.type == StateType.COMPLETED, serve_log()
        assert run.parameters["model"] == "load_forecast"
        assert run.parameters["trigger"] == f"drift: {checked.reason}"
        assert run.name == "retrain-load_forecast-drift"
        assert run.state.name in {"Promoted", "Rejected"}

        async def check_artifact():
            from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

            async with get_client() as client:
                found = await client.read_artifacts(
                    artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["drift-check-load-forecast"])))
            # By the event's id: other tests' checks on this shared server have the same key and row id.
            return [a.data for a in found
                    if f"drift_check row {checked.check_id}." in a.data and str(checked.event_id) in a.data]

        # The check's artifact names the retrain run its event started, with links to both.
        (markdown,) = asyncio.run(check_artifact())
        assert f"started the retrain run [{run.name}](" in markdown and f"(id `{run.id}`)" in markdown, markdown
        assert f"`{checked.event_id}`](" in markdown  # the event's page in the UI

        with warehouse().connect() as conn:
            audit = conn.execute(sa.text(
                "SELECT action, trigger FROM promotion_audit ORDER BY id")).all()
        assert len(audit) == 2
        assert audit[0].trigger == "test: first champion"
        assert audit[1].trigger.startswith("drift: drift share")
        assert audit[1].action in {"promote", "reject"}

        # Same drift, inside the cool-down: a warning, no event, no second retrain run.
        again = monitor_drift(model="load_forecast", window_days=14)
        print("second check:", again.action, "-", again.reason)
        assert again.action == "warn", again.reason
        assert "cool-down" in again.reason
        assert again.event_id is None
        time.sleep(5)  # an emitted event would have created a run within ~0.2 s

        async def triggered_runs():
            async with get_client() as client:
                return [r for r in await _deployment_runs(client, deployment_id)
                        if str(r.parameters.get("trigger", "")).startswith("drift:")]

        assert len(asyncio.run(triggered_runs())) == 1

        with warehouse().connect() as conn:
            checks = check_history(conn, "load_forecast")
        assert [(c["action"], c["triggered"]) for c in checks] == [("warn", False), ("retrain", True)]
        assert checks[1]["mlflow_run_id"] is not None
        assert checks[1]["drift_share"] == pytest.approx(checked.drift_share)
    finally:
        os.killpg(serve.pid, signal.SIGTERM)
        serve.wait(timeout=30)
        log.close()

        # The server outlives this test: the trigger's automation must not (see DESIGN.md).
        async def cleanup():
            async with get_client() as client:
                try:
                    found = deployment_id or (await client.read_deployment_by_name(RETRAIN_DEPLOYMENT)).id
                except Exception:
                    return
                await _delete_automations(client, found)

        asyncio.run(cleanup())
