"""An operator's Retry of a failed retrain run re-executes only the failed task and what follows.

The run is executed by a real `gridflow serve` process and retried through the API exactly as the
Prefect UI's Retry button does it (state Scheduled/AwaitingRetry, forced).
"""

from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa

from tests.conftest import wait_final, write_pjme_excerpt
from tests.integration.served import (
    delete_deployment_automations,
    retry_like_the_ui,
    served,
    task_states,
    wait_deployment,
)

pytestmark = pytest.mark.integration


def test_retry_of_failed_retrain_skips_finished_tasks(gridflow_env, tmp_path):
    import mlflow
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.objects import StateType

    from flows.ingest_pjm_load import ingest_pjm_load
    from tasks.common import warehouse

    ingest_pjm_load(str(write_pjme_excerpt(tmp_path / "pjme.csv", "2013-01-01", "2016-01-01")))
    # A real fault where the last real step writes: the audit table refuses inserts.
    with warehouse().begin() as conn:
        conn.execute(sa.text(
            "CREATE TRIGGER audit_down BEFORE INSERT ON promotion_audit "
            "BEGIN SELECT RAISE(ABORT, 'audit store unavailable (injected by test)'); END"
        ))

    async def scenario(serve):
        async with get_client() as client:
            deployment = await wait_deployment(client, "retrain/load-forecast", serve)
            created = await client.create_flow_run_from_deployment(
                deployment.id, parameters={"model": "load_forecast", "trigger": "test: retry"}
            )
            failed = await wait_final(client, created.id)
            first = await task_states(client, created.id)

            with warehouse().begin() as conn:
                conn.execute(sa.text("DROP TRIGGER audit_down"))
            await retry_like_the_ui(client, created.id)
            retried = await wait_final(client, created.id)
            await delete_deployment_automations(client, deployment.id)
            return failed, first, retried, await task_states(client, created.id)

    with served(gridflow_env, tmp_path / "serve.log", "retrain/load-forecast") as serve:
        failed, first, retried, after = asyncio.run(scenario(serve))

    assert failed.state.type == StateType.FAILED, (tmp_path / "serve.log").read_text()[-3000:]
    assert first["apply-decision-load_forecast"] == ["Failed"]
    assert first["train-challenger-load_forecast"] == ["Completed"]
    assert retried.state.type == StateType.COMPLETED, (tmp_path / "serve.log").read_text()[-3000:]
    assert retried.run_count == 2

    # Every task that had succeeded was served from its persisted result, not executed again.
    for name in ("load-training-data-load_forecast", "build-features-load_forecast",
                 "train-challenger-load_forecast", "plan-backtest-load_forecast",
                 "backtest-load_forecast-part-0", "backtest-load_forecast-part-1", "join-backtest-load_forecast",
                 "evaluate-load_forecast", "register-challenger-load_forecast"):
        assert after[name] == ["Completed", "Cached"], (name, after[name])
    assert after["apply-decision-load_forecast"] == ["Failed", "Completed"]

    # Real effects counted in the stores: one MLflow run, one model version, one audit row.
    mlflow.set_tracking_uri(f"sqlite:///{tmp_path / 'gridflow' / 'mlflow.db'}")
    assert len(mlflow.search_runs(experiment_names=["load_forecast"])) == 1
    assert len(mlflow.MlflowClient().search_model_versions("name='load_forecast'")) == 1
    with warehouse().connect() as conn:
        actions = conn.execute(sa.text("SELECT action FROM promotion_audit")).scalars().all()
    assert actions == ["promote"]
