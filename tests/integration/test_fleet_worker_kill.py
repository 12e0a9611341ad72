"""The fleet retrain on a real local Dask cluster of worker processes: workers killed mid-run, and
the run still ends with every zone trained exactly once (no second MLflow version, no second audit
row), though Dask runs again every task whose worker died, finished or not."""

from __future__ import annotations

import contextvars
import os
import signal
import threading
import time

import pytest

from tests.conftest import write_pjme_excerpt
from tests.integration.test_retrain_fleet import write_zone_excerpt

pytestmark = pytest.mark.integration

ZONES = ["PJME", "DOM"]


@pytest.fixture
def two_zones(gridflow_env, monkeypatch, tmp_path):
    """PJME and DOM loaded (2013-2015), small zone retrains; the env the Dask workers inherit."""
    from flows.ingest_pjm_load import ingest_pjm_load
    from gridflow.config import reset_settings

    monkeypatch.setenv("GRIDFLOW_LOAD_FORECAST__BACKTEST_FOLDS", "0")
    monkeypatch.setenv("GRIDFLOW_LOAD_FORECAST__XGB_PARAMS", '{"n_estimators": 40, "max_depth": 5, "learning_rate": 0.2}')
    monkeypatch.setenv("GRIDFLOW_LOAD_FORECAST__ZONES", '["PJME", "DOM"]')
    reset_settings()
    ingest_pjm_load(str(write_pjme_excerpt(tmp_path / "PJME.csv", "2013-01-01", "2016-01-01")))
    ingest_pjm_load(str(write_zone_excerpt(tmp_path / "DOM_hourly.csv", "DOM", "2013-01-01", "2016-01-01")))
    return gridflow_env


@pytest.fixture
def cluster(two_zones):
    """A local Dask cluster of two single-threaded worker processes (with nannies that restart a
    killed worker), started after the test's environment is set so the workers inherit it."""
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as local, \
            Client(local) as client:
        yield local, client


def _versions(model: str) -> list[str]:
    import mlflow

    return sorted(str(v.version) for v in mlflow.MlflowClient().search_model_versions(f"name = '{model}'"))


def _audit_rows(model: str) -> list[dict]:
    from gridflow.warehouse import audit
    from tasks.common import warehouse

    with warehouse().connect() as conn:
        return audit.decision_history(conn, model)


def test_a_worker_killed_mid_run_still_trains_every_zone_once(cluster, two_zones):
    from flows.retrain_fleet import retrain_fleet
    from gridflow.registry import mlflow_registry
    from gridflow.runtime import mlflow_ready
    from gridflow.task_runners import task_runner

    local, client = cluster
    # This thread polls the MLflow store while the run creates it: create it first, not in a race.
    mlflow_ready()
    mlflow_registry.ensure_store()
    outcome: dict = {}
    fleet = retrain_fleet.with_options(task_runner=task_runner(local.scheduler_address))
    context = contextvars.copy_context()  # the test's Prefect settings, in the run's thread too
    run = threading.Thread(target=lambda: outcome.update(
        result=context.run(fleet, trigger="test: kill", return_state=True)))
    run.start()
    # Kill every worker process as soon as one zone has registered its version: that zone's task has
    # done its side effects (and may have finished), the other is mid-way; Dask runs both again.
    deadline = time.monotonic() + 240
    while not any(_versions(f"load_forecast.{z}") for z in ZONES):
        assert run.is_alive() and time.monotonic() < deadline, "no zone registered a version"
        time.sleep(0.2)
    pids = client.run(os.getpid)
    for pid in pids.values():
        os.kill(pid, signal.SIGKILL)
    run.join(timeout=300)
    assert not run.is_alive(), "the fleet run did not finish after the workers were killed"

    state = outcome["result"]
    assert state.is_completed(), state.message
    restarted = client.run(os.getpid)
    assert set(restarted.values()).isdisjoint(pids.values())  # the nannies really started new workers
    for zone in ZONES:
        model = f"load_forecast.{zone}"
        assert _versions(model) == ["1"], model
        assert [row["action"] for row in _audit_rows(model)] == ["promote"], model
