"""Storm response end to end on a real Prefect server, with served deployments.

A fake api.weather.gov replays a Severe Thunderstorm Warning over Harris, Fort Bend and Galveston
counties; the poll flow stores and announces it; the `storm-response/on-alert` deployment's
trigger starts a run that scores the assets with outage_risk@champion and stores a crew plan.
Polling the same alert again starts nothing; its Update supersedes the plan; its Cancel closes it.
"""

from __future__ import annotations

import asyncio
import time

import pytest
import sqlalchemy as sa

from gridflow.replay import ReplayServer
from gridflow.replay.nws import SVR_ALERT_ID, SVR_CANCEL_ID, SVR_UPDATE_ID, serve_nws, texas_storm_scenario
from tests.conftest import wait_final
from tests.integration.served import delete_deployment_automations, served, wait_deployment, wait_triggers

pytestmark = pytest.mark.integration

DEPLOYMENT = "storm-response/on-alert"
HOUSTON_COUNTIES = {"48201", "48157", "48167"}


def seed_and_train() -> str:
    """A small inventory and storm history in the warehouse, and a promoted outage_risk model."""
    from flows.retrain import retrain
    from gridflow.storm.history import generate_storm_history
    from gridflow.storm.inventory import generate_inventory
    from gridflow.warehouse.storm import write_assets, write_storm_outcomes
    from tasks.common import warehouse

    inventory = generate_inventory(6_000, seed=3)
    history = generate_storm_history(inventory, n_storms=24, seed=3)
    with warehouse().begin() as conn:
        write_assets(conn, inventory)
        write_storm_outcomes(conn, history)
    result = retrain("outage_risk", trigger="test: storm e2e")
    assert result.decision.action == "promote", result.decision
    return result.version


def plans() -> list[dict]:
    from tasks.common import warehouse

    with warehouse().connect() as conn:
        return [dict(r) for r in conn.execute(sa.text(
            "SELECT id, alert_id, alert_version, model_version, status, assets_scored, crews_needed "
            "FROM crew_plan ORDER BY id")).mappings()]


def prediction_keys() -> list[tuple]:
    from tasks.common import warehouse

    with warehouse().connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(
            "SELECT alert_version, model_version, count(*), count(DISTINCT asset_id) FROM outage_prediction "
            "GROUP BY alert_version, model_version ORDER BY alert_version")).all()]


async def runs_of(client, deployment_id) -> list:
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId

    return await client.read_flow_runs(deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment_id])))


async def next_run(client, deployment_id, known: int, timeout: float = 120):
    """Wait for the trigger to create run number known+1, then for it to finish."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        runs = await runs_of(client, deployment_id)
        if len(runs) > known:
            newest = max(runs, key=lambda r: r.created)
            return await wait_final(client, newest.id)
        await asyncio.sleep(0.5)
    raise AssertionError(f"the alert event started no run of {DEPLOYMENT} within {timeout} s")


def test_alert_to_plan_then_repeat_update_and_cancel(gridflow_env, tmp_path):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.objects import StateType

    from flows.poll_weather_alerts import poll_weather_alerts
    from gridflow.storm.features import select_assets
    from gridflow.warehouse.storm import read_assets, read_plan
    from tasks.common import warehouse

    model_version = seed_and_train()
    with warehouse().connect() as conn:
        assets = read_assets(conn)
    in_area = int(select_assets(assets, HOUSTON_COUNTIES, []).sum())
    assert in_area > 0

    async def scenario(serve, nws, base_url):
        async with get_client() as client:
            deployment = await wait_deployment(client, DEPLOYMENT, serve)
            await wait_triggers(client, deployment.id)
            out = {}
            # The session's server keeps runs of this deployment from earlier tests.
            base = out["base"] = len(await runs_of(client, deployment.id))
            poll_weather_alerts(base_url=base_url)  # the warning is issued
            out["issued"] = await next_run(client, deployment.id, known=base)
            out["plans_issued"] = plans()

            nws.advance()
            repeat = poll_weather_alerts(base_url=base_url)  # the same list again: nothing new
            await asyncio.sleep(8)
            out["repeat"] = repeat
            out["runs_after_repeat"] = len(await runs_of(client, deployment.id))

            nws.advance()
            poll_weather_alerts(base_url=base_url)  # the Update: adds Brazoria, 80 mph
            out["updated"] = await next_run(client, deployment.id, known=base + 1)
            out["plans_updated"] = plans()

            nws.advance()
            poll_weather_alerts(base_url=base_url)  # the Cancel
            out["cancelled"] = await next_run(client, deployment.id, known=base + 2)
            out["runs"] = await runs_of(client, deployment.id)
            await delete_deployment_automations(client, deployment.id)
            return out

    with ReplayServer() as server:
        nws = serve_nws(server, texas_storm_scenario())
        with served(gridflow_env, tmp_path / "serve.log", DEPLOYMENT) as serve:
            out = asyncio.run(scenario(serve, nws, server.base_url))
    log = (tmp_path / "serve.log").read_text()[-4000:]

    assert out["issued"].state.type == StateType.COMPLETED, log
    (first,) = out["plans_issued"]
    assert (first["alert_id"], first["alert_version"], first["status"]) == (SVR_ALERT_ID, 1, "active")
    assert first["model_version"] == model_version and first["assets_scored"] == in_area
    assert first["crews_needed"] >= 1

    assert out["runs_after_repeat"] == out["base"] + 1  # the same alert polled again started nothing

    assert out["updated"].state.type == StateType.COMPLETED, log
    v1, v2 = out["plans_updated"]
    assert (v1["status"], v2["status"], v2["alert_id"], v2["alert_version"]) == (
        "superseded", "active", SVR_UPDATE_ID, 2)
    assert v2["assets_scored"] > v1["assets_scored"]  # Brazoria joined the warned area

    assert out["cancelled"].state.type == StateType.COMPLETED, log
    assert len(out["runs"]) == out["base"] + 3
    final = plans()
    assert [p["status"] for p in final] == ["superseded", "cancelled"]
    with warehouse().connect() as conn:
        plan, lines = read_plan(conn, SVR_CANCEL_ID) or read_plan(conn, SVR_UPDATE_ID)
    assert plan["status"] == "cancelled" and lines
    # One score per asset and (alert version, model version): never doubled.
    assert [(v, m, n == d) for v, m, n, d in prediction_keys()] == [(1, model_version, True),
                                                                   (2, model_version, True)]


def test_redelivered_event_keeps_one_active_plan(gridflow_env):
    """The same alert event delivered twice (at-least-once delivery) leaves one plan, one score set."""
    from flows.storm_response import storm_response
    from gridflow.replay.nws import svr_alert
    from gridflow.sources.nws_alerts import parse_alert_document
    from gridflow.storm.alert_events import alert_payload
    from gridflow.warehouse import alerts
    from tasks.common import warehouse

    seed_and_train()
    with warehouse().begin() as conn:
        alerts.record_alerts(conn, parse_alert_document(svr_alert()).alerts, received_via="push")
        assert alert_payload(alerts.get_alert(conn, SVR_ALERT_ID))["version"] == 1

    first = storm_response(SVR_ALERT_ID)
    again = storm_response(SVR_ALERT_ID)

    assert first.action == again.action == "score"
    assert first.plan_id == again.plan_id
    assert [p["status"] for p in plans()] == ["active"]
    assert all(n == d for _, _, n, d in prediction_keys()) and len(prediction_keys()) == 1
