"""Shared fixtures: a real local Prefect server, and isolated gridflow stores per test.

Integration fixtures start real services; unit tests never touch them.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from gridflow.provenance import PROJECT_ROOT

PJME_FILE = PROJECT_ROOT / "data" / "PJME_hourly.csv"
POSTGRES_URL = os.environ.get(
    "GRIDFLOW_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def prefect_server(tmp_path_factory) -> Iterator[str]:
    """A real Prefect server (SQLite) on a free loopback port; yields its API URL."""
    from gridflow.services.prefect_server import LocalPrefectServer, ensure_running, stop

    server = LocalPrefectServer(home=tmp_path_factory.mktemp("prefect-server"), port=free_port())
    ensure_running(server, timeout=120)
    try:
        yield server.api_url
    finally:
        # A test server holds nothing worth a graceful shutdown.
        stop(server, timeout=3)


def write_pjme_excerpt(path: Path, start: str, end: str) -> Path:
    """The shipped PJME file cut to [start, end) local labels, in its original row order."""
    raw = pd.read_csv(PJME_FILE, dtype=str)
    keep = (raw["Datetime"] >= start) & (raw["Datetime"] < end)
    raw[keep].to_csv(path, index=False)
    return path


@pytest.fixture
def gridflow_env(tmp_path, monkeypatch, prefect_server) -> Iterator[dict[str, str]]:
    """Fresh embedded stores (SQLite warehouse, MLflow store) on the real Prefect server.

    Yields the environment a subprocess needs to use the same stores.
    """
    from prefect.settings import (
        PREFECT_API_URL,
        PREFECT_LOGGING_TO_API_ENABLED,
        PREFECT_RESULTS_LOCAL_STORAGE_PATH,
        PREFECT_RESULTS_PERSIST_BY_DEFAULT,
        temporary_settings,
    )

    from gridflow.config import get_settings, reset_settings
    from gridflow.prefect_env import prefect_environment

    home = tmp_path / "gridflow"
    env = {
        "GRIDFLOW_HOME": str(home),
        "GRIDFLOW_PREFECT_API_URL": prefect_server,
        # Small, fast training set-up for tests: 2013-2015 data, holdout from mid-2015.
        "GRIDFLOW_LOAD_FORECAST__HOLDOUT_START": "2015-07-01",
        "GRIDFLOW_LOAD_FORECAST__BACKTEST_FOLDS": "2",
        "GRIDFLOW_LOAD_FORECAST__BACKTEST_TEST_DAYS": "28",
        # No weather site: integration tests train without weather unless they opt in.
        "GRIDFLOW_WEATHER__SITES": "[]",
        # Integration tests check orchestration, gates and storage, not accuracy (the shipped
        # parameters' accuracy bar is tests/unit/forecast/test_accuracy_weather_pjme.py): a
        # smaller booster trains a load forecast about 2.5x faster.
        "GRIDFLOW_LOAD_FORECAST__XGB_PARAMS": '{"n_estimators": 120, "max_depth": 6, "learning_rate": 0.1}',
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    _reset_process_caches()
    reset_settings()
    env |= prefect_environment(get_settings(), prefect_server)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with temporary_settings(updates={
        PREFECT_API_URL: prefect_server,
        # In-process runs keep their logs local: the API log handler otherwise retries for a
        # minute against the server the session has already stopped.
        PREFECT_LOGGING_TO_API_ENABLED: False,
        PREFECT_RESULTS_PERSIST_BY_DEFAULT: True,
        PREFECT_RESULTS_LOCAL_STORAGE_PATH: str(home / "prefect" / "results"),
    }):
        yield env
    _reset_process_caches()
    reset_settings()


async def wait_final(client, flow_run_id, timeout: float = 480):
    """Poll the Prefect API until the flow run is in a final state; returns the run."""
    import asyncio
    import time

    deadline = time.monotonic() + timeout
    run = None
    while time.monotonic() < deadline:
        run = await client.read_flow_run(flow_run_id)
        if run.state is not None and run.state.is_final():
            return run
        await asyncio.sleep(1)
    raise AssertionError(f"flow run {flow_run_id} not final after {timeout} s: {run and run.state}")


def use_warehouse(monkeypatch, url: str) -> None:
    """Point this process's settings and engine cache at another warehouse URL."""
    from gridflow import runtime as common
    from gridflow.config import reset_settings

    monkeypatch.setenv("GRIDFLOW_WAREHOUSE_URL", url)
    reset_settings()
    common.warehouse.cache_clear()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def warehouse_url(request, gridflow_env, monkeypatch, tmp_path) -> Iterator[str]:
    """The test's warehouse, once on SQLite and once on a fresh PostgreSQL schema."""
    from gridflow import runtime as common

    url = (f"sqlite:///{tmp_path / 'warehouse-under-test.db'}" if request.param == "sqlite"
           else request.getfixturevalue("postgres_schema_url"))
    use_warehouse(monkeypatch, url)
    yield url
    common.warehouse.cache_clear()


def _reset_process_caches() -> None:
    from gridflow import runtime as common

    common.warehouse.cache_clear()
    common.mlflow_ready.cache_clear()


@pytest.fixture
def postgres_schema_url(monkeypatch) -> Iterator[str]:
    """A fresh PostgreSQL schema for one test, as a SQLAlchemy URL whose search_path points at it."""
    import sqlalchemy as sa

    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(POSTGRES_URL)
    try:
        with admin.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    except sa.exc.OperationalError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL at {POSTGRES_URL} is required in CI: {exc}")
        pytest.skip(f"PostgreSQL not reachable: {exc}")
    url = sa.engine.make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
