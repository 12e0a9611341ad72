"""The fleet retrain on a real Prefect server and MLflow store: a model per zone, each through its
own gate; a zone whose data was quarantined fails alone and is named; the report lists every zone;
the same run on a real local Dask cluster (worker processes) trains exactly the same models."""

from __future__ import annotations

import json
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
    """Small, fast zone retrains: two years, no backtest, a small booster."""
    from gridflow.config import reset_settings

    monkeypatch.setenv("GRIDFLOW_LOAD_FORECAST__BACKTEST_FOLDS", "0")
    monkeypatch.setenv("GRIDFLOW_LOAD_FORECAST__XGB_PARAMS", '{"n_estimators": 40, "max_depth": 5, "learning_rate": 0.2}')
    monkeypatch.setenv("GRIDFLOW_LOAD_FORECAST__ZONES", '["PJME", "DOM", "FE"]')
    reset_settings()
    return gridflow_env


def _audit(model: str) -> list[dict]:
    from gridflow.warehouse import audit
    from tasks.common import warehouse

    with warehouse().connect() as conn:
        return audit.decision_history(conn, model)


def test_fleet_trains_a_model_per_zone_names_the_zone_that_failed_and_dask_trains_the_same(fleet_env, tmp_path):
    import mlflow
    from prefect.artifacts import Artifact

    from flows.ingest_pjm_load import ingest_pjm_load
    from flows.retrain_fleet import retrain_fleet
    from gridflow.errors import FleetFailed
    from gridflow.warehouse import audit
    from gridflow_cli.main import app
    from tasks.common import warehouse

    assert ingest_pjm_load(str(write_pjme_excerpt(tmp_path / "PJME.csv", "2013-01-01", "2016-01-01"))).status == "loaded"
    assert ingest_pjm_load(str(write_zone_excerpt(tmp_path / "DOM_hourly.csv", "DOM", "2013-01-01", "2016-01-01"))).status == "loaded"
    # FE's real file starts with a 0.0 MW reading (2011-06-01 01:00): the suite quarantines that
    # month, so FE has no load at all.
    fe = ingest_pjm_load(str(write_zone_excerpt(tmp_path / "FE_hourly.csv", "FE", "2011-06-01", "2011-07-01")),
                         return_state=True)
    assert fe.is_failed()

    state = retrain_fleet(use_case="load_forecast", trigger="test: fleet", return_state=True)
    assert state.is_failed()
    error = state.result(raise_on_failure=False)
    assert isinstance(error, FleetFailed) and set(error.failed) == {"load_forecast.FE"}, error

    client = mlflow.MlflowClient()
    for zone in ("PJME", "DOM"):
        model = f"load_forecast.{zone}"
        (version,) = client.search_model_versions(f"name = '{model}'")
        assert client.get_model_version_by_alias(model, "champion").version == version.version
        with warehouse().connect() as conn:
            trail = audit.decision_history(conn, model)
        assert [row["action"] for row in trail] == ["promote"] and trail[0]["trigger"] == "test: fleet"
    assert client.search_model_versions("name = 'load_forecast.FE'") == []

    report = Artifact.get("load-forecast-fleet")
    assert report is not None
    assert "| PJME | `load_forecast.PJME` | v1 |" in report.data and "| DOM | `load_forecast.DOM` | v1 |" in report.data
    assert "## Failed zones" in report.data and "| FE | `load_forecast.FE` |" in report.data

    listing = CliRunner().invoke(app, ["models", "--json"])
    assert listing.exit_code == 0, listing.output
    assert {e["name"] for e in json.loads(listing.output)} == {"load_forecast.PJME", "load_forecast.DOM"}

    # The same fleet on a local Dask cluster of two worker processes (started now: the workers
    # inherit this test's environment): the same challengers, so the gate keeps every champion.
    from distributed import LocalCluster

    from gridflow.task_runners import task_runner

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        again = retrain_fleet.with_options(task_runner=task_runner(cluster.scheduler_address))(
            use_case="load_forecast", zones=["PJME", "DOM"], trigger="test: dask")
    for o in again:
        (row,) = [r for r in _audit(o.model) if r["action"] == "promote"]
        assert o.challenger == row["metrics"]["challenger"]["mape"], o.model  # bit-identical on another engine
        assert (o.action, o.champion_version) == ("reject", "1"), o.reason
