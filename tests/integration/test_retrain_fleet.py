"""The fleet retrain on a real Prefect server and MLflow store: a model per zone, each through its
own gate; a zone whose data was quarantined fails alone and is named in the report; the
operator's Retry (served deployment, as the UI sends it) re-runs that zone alone; the same fleet on
a real local Dask cluster (worker processes) trains exactly the same models."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from gridflow.provenance import PROJECT_ROOT
from tests.conftest import write_pjme_excerpt

pytestmark = pytest.mark.integration

ZONES_DIR = PROJECT_ROOT / "data" / "pjm_zones"


def write_zone_excerpt(path: Path, zone: str, start: str, end: str) -> Path:
    """A shipped zone file (Kaggle layout) cut to [start, end) local labels."""
    raw = pd.read_csv(ZONES_DIR / f"{zone}_hourly.csv", dtype=str)
    raw[(raw["Datetime"] >= start) & (raw["Datetime"] < end)].to_csv(path, index=False)
    return path


@pytest.fixture
def fleet_env(gridflow_env, monkeypatch):
    """Small, fast zone retrains: three years, no backtest, a small booster; the same in this
    process and in a served process (the returned environment)."""
    from gridflow.config import reset_settings

    small = {
        "GRIDFLOW_LOAD_FORECAST__BACKTEST_FOLDS": "0",
        "GRIDFLOW_LOAD_FORECAST__XGB_PARAMS": '{"n_estimators": 40, "max_depth": 5, "learning_rate": 0.2}',
        "GRIDFLOW_LOAD_FORECAST__ZONES": '["PJME", "DOM", "FE"]',
    }
    for key, value in small.items():
        monkeypatch.setenv(key, value)
    reset_settings()
    return gridflow_env | small


def _audit(model: str) -> list[dict]:
    from gridflow.warehouse import audit
    from tasks.common import warehouse

    with warehouse().connect() as conn:
        return audit.decision_history(conn, model)


def test_fleet_trains_a_model_per_zone_retries_only_the_failed_zone_and_dask_trains_the_same(fleet_env, tmp_path):
    import asyncio

    import mlflow
    from prefect.artifacts import Artifact
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.objects import StateType

    from flows.ingest_pjm_load import ingest_pjm_load
    from gridflow_cli.main import app
    from tests.conftest import wait_final
    from tests.integration.served import (
        delete_deployment_automations,
        retry_like_the_ui,
        served,
        task_states,
        wait_deployment,
    )

    assert ingest_pjm_load(str(write_pjme_excerpt(tmp_path / "PJME.csv", "2013-01-01", "2016-01-01"))).status == "loaded"
    assert ingest_pjm_load(str(write_zone_excerpt(tmp_path / "DOM_hourly.csv", "DOM", "2013-01-01", "2016-01-01"))).status == "loaded"
    # FE's real file starts with a 0.0 MW reading (2011-06-01 01:00): the suite quarantines that
    # month, so FE has no load at all and its retrain fails on its empty training set.
    fe = ingest_pjm_load(str(write_zone_excerpt(tmp_path / "FE_hourly.csv", "FE", "2011-06-01", "2011-07-01")),
                         return_state=True)
    assert fe.is_failed()
    from gridflow.runtime import mlflow_ready

    mlflow_ready()  # this process reads the store the served runs write
    client_ml = mlflow.MlflowClient()

    async def scenario(serve):
        async with get_client() as client:
            deployment = await wait_deployment(client, "retrain-fleet/load-forecast", serve)
            created = await client.create_flow_run_from_deployment(
                deployment.id, parameters={"use_case": "load_forecast", "trigger": "test: fleet"})
            failed = await wait_final(client, created.id)
            first = await task_states(client, created.id)
            report = await Artifact.get("load-forecast-fleet")  # the async form, inside the event loop
            # The operator loads FE's good months, then presses Retry on the failed fleet run.
            ingest_pjm_load(str(write_zone_excerpt(tmp_path / "FE_good.csv", "FE", "2013-01-01", "2016-01-01")))
            await retry_like_the_ui(client, created.id)
            retried = await wait_final(client, created.id)
            await delete_deployment_automations(client, deployment.id)
            return failed, first, report, retried, await task_states(client, created.id)

    with served(fleet_env, tmp_path / "serve.log", "retrain-fleet/load-forecast") as serve:
        failed, first, report, retried, after = asyncio.run(scenario(serve))
    log = (tmp_path / "serve.log").read_text()[-3000:]
    assert failed.state.type == StateType.FAILED, log
    assert "load_forecast.FE" in failed.state.message and "1 zone(s) failed (2 trained and decided)" in failed.state.message
    assert first["retrain-load_forecast.FE"] == ["Failed"]
    assert "| PJME | `load_forecast.PJME` | v1 |" in report.data and "| DOM | `load_forecast.DOM` | v1 |" in report.data
    assert "## Failed zones" in report.data and "| FE | `load_forecast.FE` | ValidationFailed" in report.data

    # The Retry re-ran FE alone: the finished zones came from their stored results.
    assert retried.state.type == StateType.COMPLETED, log
    assert after["retrain-load_forecast.PJME"] == after["retrain-load_forecast.DOM"] == ["Completed", "Cached"]
    assert after["retrain-load_forecast.FE"] == ["Failed", "Completed"]
    for zone in ("PJME", "DOM", "FE"):
        model = f"load_forecast.{zone}"
        (version,) = client_ml.search_model_versions(f"name = '{model}'")
        assert str(client_ml.get_model_version_by_alias(model, "champion").version) == str(version.version) == "1"
        trail = _audit(model)
        assert [row["action"] for row in trail] == ["promote"] and trail[0]["trigger"] == "test: fleet"

    listing = CliRunner().invoke(app, ["models", "--json"])
    assert listing.exit_code == 0, listing.output
    assert {e["name"] for e in json.loads(listing.output)} == {"load_forecast.PJME", "load_forecast.DOM", "load_forecast.FE"}

    # With a model per zone, the daily issue uses each zone's own champion.
    import os

    from flows.issue_load_forecast import issue_load_forecast
    from gridflow.config import reset_settings
    from gridflow.warehouse.forecast_issued import read_issued

    os.environ["GRIDFLOW_LOAD_FORECAST__MODEL_PER_ZONE"] = "true"  # monkeypatch restores the environment
    reset_settings()
    try:
        issued = issue_load_forecast(zones=["DOM", "FE"], for_date="2015-12-30")
    finally:
        del os.environ["GRIDFLOW_LOAD_FORECAST__MODEL_PER_ZONE"]
        reset_settings()
    assert set(issued.issued) == {"DOM", "FE"}
    from tasks.common import warehouse

    with warehouse().connect() as conn:
        for zone in ("DOM", "FE"):
            rows = read_issued(conn, zone, date(2015, 12, 30))
            assert set(rows["model_name"]) == {f"load_forecast.{zone}"} and len(rows) == 24, zone

    # The same fleet on a local Dask cluster of two worker processes (started now: the workers
    # inherit this test's environment): the same challengers, so the gate keeps every champion.
    from distributed import LocalCluster

    from flows.retrain_fleet import retrain_fleet
    from gridflow.task_runners import task_runner

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        again = retrain_fleet.with_options(task_runner=task_runner(cluster.scheduler_address))(
            use_case="load_forecast", zones=["PJME", "DOM"], trigger="test: dask")
    for o in again:
        (row,) = [r for r in _audit(o.model) if r["action"] == "promote"]
        assert o.challenger == row["metrics"]["challenger"]["mape"], o.model  # bit-identical on another engine
        assert (o.action, o.champion_version) == ("reject", "1"), o.reason
