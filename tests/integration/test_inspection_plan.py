"""A `gridflow.asset.health.degraded` event, as the stream consumer emits it, starts the served
`plan-inspection/on-degraded` deployment on the real Prefect server; the run ranks the degraded
units from the warehouse and publishes the plan as artifacts."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import wait_final
from tests.integration.served import delete_deployment_automations, served, wait_deployment, wait_triggers

pytestmark = pytest.mark.integration
DEPLOYMENT = "plan-inspection/on-degraded"


def seed_scores() -> None:
    from gridflow.runtime import warehouse
    from gridflow.warehouse.engine import upgrade
    from gridflow.warehouse.tables import asset_health_score

    now = datetime.now(UTC)
    rows = [("T-17", 82.0), ("T-04", 61.0), ("T-09", 12.0)]
    engine = warehouse()
    upgrade(engine)
    with engine.begin() as conn:
        conn.execute(asset_health_score.insert(), [
            {"reading_id": f"r-{asset}", "asset_id": asset, "model_name": "transformer_health", "model_version": "2",
             "health_index": index, "threshold": 50.0, "degraded": index >= 50.0, "sampled_at_utc": None,
             "source": "test", "scored_at_utc": now - timedelta(minutes=5)} for asset, index in rows])


def test_a_degraded_event_plans_the_inspections(gridflow_env, tmp_path):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId
    from prefect.client.schemas.objects import StateType

    from gridflow import events
    from tasks.inspection import ARTIFACT_KEY

    seed_scores()

    async def scenario(serve):
        async with get_client() as client:
            deployment = await wait_deployment(client, DEPLOYMENT, serve)
            await wait_triggers(client, deployment.id)
            by_deployment = DeploymentFilter(id=DeploymentFilterId(any_=[deployment.id]))
            known = len(await client.read_flow_runs(deployment_filter=by_deployment))
            events.emit(events.Event(events.ASSET_HEALTH_DEGRADED,
                                     events.resource(events.asset_resource("T-17")),
                                     payload={"reading_id": "r-T-17", "health_index": 82.0}))
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                runs = await client.read_flow_runs(deployment_filter=by_deployment)
                if len(runs) > known:
                    run = await wait_final(client, max(runs, key=lambda r: r.created).id)
                    break
                await asyncio.sleep(0.5)
            else:
                raise AssertionError("the degraded event started no inspection plan")
            artifact = await client.read_latest_artifacts()
            await delete_deployment_automations(client, deployment.id)
            return run, [a for a in artifact if a.key == ARTIFACT_KEY]

    with served(gridflow_env, tmp_path / "serve.log", DEPLOYMENT) as serve:
        run, artifacts = asyncio.run(scenario(serve))
    log = (tmp_path / "serve.log").read_text()[-4000:]
    assert run.state.type == StateType.COMPLETED, log
    assert run.parameters["asset_resource"] == "gridflow.asset.T-17"
    (artifact,) = artifacts
    assert "Triggered by T-17 degraded. 2 unit(s) over the alarm threshold, 1 urgent." in artifact.data
    assert artifact.data.index("| 1 | T-17 |") < artifact.data.index("| 2 | T-04 |")
    assert "T-09" not in artifact.data
