"""An operator's Retry of a failed storm response re-executes only the failed step.

The served `storm-response/on-alert` deployment answers a stored warning; the warehouse refuses the
crew plan (a real fault in the store, injected by a trigger), so the run fails after scoring. The
operator fixes the store and retries the run through the API as the UI does: the alert is not
re-read, the million-asset scoring is not redone, only the plan is stored.
"""

from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa

from gridflow.replay.nws import SVR_ALERT_ID, svr_alert
from tests.conftest import wait_final
from tests.integration.served import (
    delete_deployment_automations,
    retry_like_the_ui,
    served,
    task_states,
    wait_deployment,
)
from tests.integration.test_storm_response import plans, prediction_keys, seed_and_train

pytestmark = pytest.mark.integration

DEPLOYMENT = "storm-response/on-alert"


def test_retry_of_failed_storm_response_stores_the_plan_without_rescoring(gridflow_env, tmp_path):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.objects import StateType

    from gridflow.sources.nws_alerts import parse_alert_document
    from gridflow.warehouse import alerts
    from tasks.common import warehouse

    model_version = seed_and_train()
    with warehouse().begin() as conn:
        alerts.record_alerts(conn, parse_alert_document(svr_alert()).alerts, received_via="push")
        conn.execute(sa.text(
            "CREATE TRIGGER plans_down BEFORE INSERT ON crew_plan "
            "BEGIN SELECT RAISE(ABORT, 'plan store unavailable (injected by test)'); END"
        ))

    def scored_at() -> list:
        with warehouse().connect() as conn:
            return conn.execute(sa.text("SELECT DISTINCT scored_at FROM outage_prediction")).scalars().all()

    async def scenario(serve):
        async with get_client() as client:
            deployment = await wait_deployment(client, DEPLOYMENT, serve)
            created = await client.create_flow_run_from_deployment(deployment.id,
                                                                    parameters={"alert_id": SVR_ALERT_ID})
            failed = await wait_final(client, created.id)
            first = await task_states(client, created.id)
            stamps = scored_at()
            with warehouse().begin() as conn:
                conn.execute(sa.text("DROP TRIGGER plans_down"))
            await retry_like_the_ui(client, created.id)
            retried = await wait_final(client, created.id)
            await delete_deployment_automations(client, deployment.id)
            return failed, first, stamps, retried, await task_states(client, created.id)

    with served(gridflow_env, tmp_path / "serve.log", DEPLOYMENT) as serve:
        failed, first, stamps, retried, after = asyncio.run(scenario(serve))

    log = (tmp_path / "serve.log").read_text()[-3000:]
    assert failed.state.type == StateType.FAILED, log
    assert first["store-plan-v1"] == ["Failed"] and first["score-area-v1"] == ["Completed"]
    assert retried.state.type == StateType.COMPLETED, log
    for name in ("load-alert", "score-area-v1", "build-plan-v1"):
        assert after[name] == ["Completed", "Cached"], (name, after)
    assert after["store-plan-v1"] == ["Failed", "Completed"]
    # The scores were written once, by the first attempt: same rows, same timestamp.
    assert scored_at() == stamps and len(stamps) == 1
    assert [(v, m) for v, m, n, d in prediction_keys() if n == d] == [(1, model_version)]
    assert [(p["alert_id"], p["status"]) for p in plans()] == [(SVR_ALERT_ID, "active")]
