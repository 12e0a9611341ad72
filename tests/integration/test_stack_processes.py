"""The docker-compose stack as plain processes (no Docker here): the same commands as
docker-compose.yml, on the local PostgreSQL.

One database per store, as docker/postgres-init.sql creates them: the Prefect server and the
MLflow server (proxied artifacts in a folder standing in for the volume) run on PostgreSQL, the
worker starts with the compose command (`gridflow worker --deploy --healthcheck`), registers every
deployment and executes runs end to end. The warehouse is PostgreSQL too.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

from gridflow.provenance import PROJECT_ROOT
from gridflow.services import mlflow_server
from tests.conftest import POSTGRES_URL, free_port, wait_final, write_pjme_excerpt

pytestmark = [pytest.mark.integration, pytest.mark.postgres]

COMPOSE = yaml.safe_load((PROJECT_ROOT / "docker-compose.yml").read_text())["services"]
WEBHOOK_TOKEN = "T0000/B0000/not-a-real-token"


def compose_command(service: str, options: dict[str, str] | None = None) -> list[str]:
    """The service's compose command with the values of some options replaced for this machine
    (each option must be in the compose command, so the two cannot drift apart)."""
    command = list(COMPOSE[service]["command"])
    for option, value in (options or {}).items():
        assert option in command, (service, option)
        command[command.index(option) + 1] = value
    return command


def clean_environment() -> dict[str, str]:
    """This process's environment without Prefect, gridflow or MLflow settings of its own."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "GRIDFLOW_", "MLFLOW_"))}


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


class Webhook(BaseHTTPRequestHandler):
    """Collects what the notification flow POSTs."""

    received: list[dict] = []  # noqa: RUF012 - one module-wide inbox

    def do_POST(self):
        Webhook.received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@dataclass
class Stack:
    api_url: str
    mlflow_url: str
    warehouse_url: str
    home: Path
    artifacts: Path
    worker_env: dict[str, str]
    logs: dict[str, Path] = field(default_factory=dict)

    def log(self, name: str) -> str:
        return self.logs[name].read_text(errors="replace")[-4000:]


@contextlib.contextmanager
def databases(suffix: str) -> Iterator[dict[str, str]]:
    """A fresh PostgreSQL database per store, dropped afterwards."""
    admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    names = {store: f"gf_{suffix}_{store}" for store in ("prefect", "mlflow", "gridflow")}
    try:
        with admin.connect() as conn:
            for name in names.values():
                conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL at {POSTGRES_URL} is required in CI: {exc}")
        pytest.skip(f"PostgreSQL not reachable: {exc}")
    try:
        yield names
    finally:
        with admin.connect() as conn:
            for name in names.values():
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextlib.contextmanager
def process(name: str, command: list[str], env: dict[str, str], logs: dict[str, Path], log_dir: Path):
    logs[name] = log_dir / f"{name}.log"
    with logs[name].open("wb") as log:
        proc = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)
        try:
            yield proc
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def wait_until(check, what: str, procs: dict[str, subprocess.Popen], logs: dict[str, Path], timeout: float):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for name, proc in procs.items():
            assert proc.poll() is None, f"{name} exited:\n{logs[name].read_text(errors='replace')[-3000:]}"
        if check():
            return
        time.sleep(0.5)
    raise AssertionError(f"{what} not ready within {timeout:.0f} s")


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> Iterator[Stack]:
    root = tmp_path_factory.mktemp("stack")
    suffix = uuid.uuid4().hex[:8]
    pg = sa.engine.make_url(POSTGRES_URL)
    webhook = HTTPServer(("127.0.0.1", free_port()), Webhook)
    Webhook.received = []
    threading.Thread(target=webhook.serve_forever, daemon=True).start()
    prefect_port, mlflow_port, health_port = free_port(), free_port(), free_port()
    logs: dict[str, Path] = {}
    base = clean_environment()

    with contextlib.ExitStack() as running, databases(suffix) as db:
        running.callback(webhook.shutdown)
        compose_env = COMPOSE["prefect-server"]["environment"]
        prefect_env = {
            **base,
            # The compose file's connection parts, pointed at the local PostgreSQL.
            "PREFECT_SERVER_DATABASE_DRIVER": compose_env["PREFECT_SERVER_DATABASE_DRIVER"],
            "PREFECT_SERVER_DATABASE_HOST": pg.host, "PREFECT_SERVER_DATABASE_PORT": str(pg.port),
            "PREFECT_SERVER_DATABASE_NAME": db["prefect"], "PREFECT_SERVER_DATABASE_USER": pg.username,
            "PREFECT_SERVER_DATABASE_PASSWORD": pg.password or "",
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_UI_API_URL": f"http://127.0.0.1:{prefect_port}/api",
            "PREFECT_HOME": str(root / "prefect-server"),
        }
        prefect = running.enter_context(process(
            "prefect-server",
            [sys.executable, "-m", *compose_command("prefect-server", {"--host": "127.0.0.1", "--port": str(prefect_port)})],
            prefect_env, logs, root))
        artifacts = root / "mlartifacts"
        mlflow_store = pg.set(drivername="postgresql+psycopg", database=db["mlflow"]).render_as_string(hide_password=False)
        mlflow = running.enter_context(process(
            "mlflow",
            [sys.executable, "-m", *compose_command("mlflow", {
                "--host": "127.0.0.1", "--port": str(mlflow_port), "--workers": "1",
                "--artifacts-destination": str(artifacts)})],
            {**base, **mlflow_server.SERVER_ENVIRONMENT, "MLFLOW_BACKEND_STORE_URI": mlflow_store}, logs, root))
        api_url = f"http://127.0.0.1:{prefect_port}/api"
        mlflow_url = f"http://127.0.0.1:{mlflow_port}"
        servers = {"prefect-server": prefect, "mlflow": mlflow}
        wait_until(lambda: answers(f"{api_url}/health") and answers(f"{mlflow_url}/health"),
                   "Prefect and MLflow servers", servers, logs, timeout=150)

        warehouse_url = pg.set(database=db["gridflow"]).render_as_string(hide_password=False)
        home = root / "gridflow"
        worker_env = {
            **base,
            "GRIDFLOW_PREFECT_API_URL": api_url,
            "PREFECT_UI_URL": f"http://127.0.0.1:{prefect_port}",
            "GRIDFLOW_MLFLOW_TRACKING_URI": mlflow_url,
            "GRIDFLOW_WAREHOUSE_URL": warehouse_url,
            "GRIDFLOW_HOME": str(home),
            "PREFECT_WORKER_WEBSERVER_PORT": str(health_port),
            "GRIDFLOW_NOTIFY__WEBHOOK_URL": f"http://127.0.0.1:{webhook.server_port}/services/{WEBHOOK_TOKEN}",
            # Fast polling and a small, quick training set-up for the test.
            "PREFECT_WORKER_QUERY_SECONDS": "1",
            "GRIDFLOW_LOAD_FORECAST__HOLDOUT_START": "2015-07-01",
            "GRIDFLOW_LOAD_FORECAST__BACKTEST_FOLDS": "1",
            "GRIDFLOW_LOAD_FORECAST__BACKTEST_TEST_DAYS": "28",
            # The stack is under test, not the model: a few coarse trees fit in seconds.
            "GRIDFLOW_LOAD_FORECAST__XGB_PARAMS": '{"n_estimators": 60, "learning_rate": 0.3}',
        }
        gridflow, *args = compose_command("worker")
        assert gridflow == "gridflow"
        worker = running.enter_context(process("worker", [sys.executable, "-m", "gridflow_cli", *args],
                                               worker_env, logs, root))
        # The compose healthcheck's target: the worker's own /health.
        wait_until(lambda: answers(f"http://127.0.0.1:{health_port}/health"), "the worker",
                   {**servers, "worker": worker}, logs, timeout=120)
        yield Stack(api_url=api_url, mlflow_url=mlflow_url, warehouse_url=warehouse_url, home=home,
                    artifacts=artifacts, worker_env=worker_env, logs=logs)


def on(stack: Stack, scenario):
    """Run an async scenario with a Prefect client of the stack's API."""
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    async def main():
        async with get_client() as client:
            return await scenario(client)

    with temporary_settings(updates={PREFECT_API_URL: stack.api_url}):
        return asyncio.run(main())


def gridflow_cli(stack: Stack, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gridflow_cli", *args], env=stack.worker_env,
                          capture_output=True, text=True, timeout=120)


async def run_deployment(client, name: str, parameters: dict, timeout: float = 240):
    deployment = await client.read_deployment_by_name(name)
    created = await client.create_flow_run_from_deployment(deployment.id, parameters=parameters)
    return await wait_final(client, created.id, timeout=timeout)


async def registered(client) -> tuple[dict[str, tuple], dict[str, str]]:
    """Deployments (flow/name -> id, pool, queue) and automations (name -> id) on the server."""
    deployments = await client.read_deployments()
    flows = {f.id: f.name for f in await client.read_flows()}
    automations = await client.read_automations()
    return ({f"{flows[d.flow_id]}/{d.name}": (str(d.id), d.work_pool_name, d.work_queue_name) for d in deployments},
            {a.name: str(a.id) for a in automations})


def test_the_worker_registered_everything_and_a_second_deploy_changes_nothing(stack):
    from deployments.automations import CRASH_AUTOMATION, FAILURE_AUTOMATION
    from deployments.definitions import WORK_POOL, all_deployments, work_queue_for

    defined = all_deployments()
    deployments, automations = on(stack, registered)
    assert {name: (pool, queue) for name, (_, pool, queue) in deployments.items()} == {
        f"{d.flow_name}/{d.name}": (WORK_POOL, work_queue_for(d)) for d in defined}
    assert set(automations) == {t.name for d in defined for t in d.triggers} | {FAILURE_AUTOMATION, CRASH_AUTOMATION}
    assert "created" in stack.log("worker")

    again = gridflow_cli(stack, "deploy")
    assert again.returncode == 0, again.stderr[-3000:]
    assert again.stdout.strip().endswith("deploy: 0 created, 0 updated, 0 deleted, "
                                         f"{1 + 3 + len(defined) + len(automations)} unchanged"), again.stdout
    assert on(stack, registered) == (deployments, automations)  # same objects, same ids


def test_ingest_and_retrain_run_end_to_end_on_postgres_and_the_mlflow_server(stack, tmp_path):
    from mlflow import MlflowClient
    from prefect.client.schemas.objects import StateType

    excerpt = write_pjme_excerpt(tmp_path / "pjme.csv", "2013-01-01", "2016-01-01")

    # The default configuration feeds PJME with BWI weather: its history is loaded like any source.
    weather_history = PROJECT_ROOT / "data" / "weather" / "USW00093721_BWI_daily_2001_2018.csv"

    async def scenario(client):
        ingest = await run_deployment(client, "ingest-pjm-load/pjm-load-file", {"path": str(excerpt)})
        weather = await run_deployment(client, "ingest-weather-history/ghcn-file", {"path": str(weather_history)})
        retrain = await run_deployment(client, "retrain/load-forecast",
                                       {"model": "load_forecast", "trigger": "test: compose stack"})
        return ingest, weather, retrain

    ingest, weather, retrain = on(stack, scenario)
    assert ingest.state.type == StateType.COMPLETED, stack.log("worker")
    assert weather.state.type == StateType.COMPLETED, stack.log("worker")
    assert retrain.state.type == StateType.COMPLETED, stack.log("worker")
    assert retrain.work_queue_name == "training"

    # The MLflow server on PostgreSQL holds the run and the model; the artifacts went through it.
    client = MlflowClient(tracking_uri=stack.mlflow_url)
    (run,) = client.search_runs([client.get_experiment_by_name("load_forecast").experiment_id])
    assert run.data.tags["gridflow.trigger"] == "test: compose stack"
    assert run.data.params["weather_sites"] == "BWI:PJME:1"
    champion = client.get_model_version_by_alias("load_forecast", "champion")
    assert champion.run_id == run.info.run_id
    assert any(stack.artifacts.rglob("MLmodel")), "no model artifact in the artifact destination"

    engine = sa.create_engine(stack.warehouse_url)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM load_observation")).scalar() > 20_000
        assert conn.execute(sa.text("SELECT action FROM promotion_audit")).scalars().all() == ["promote"]
    engine.dispose()


def test_a_failed_run_notifies_and_rerun_retries_the_same_run(stack, tmp_path):
    from prefect.client.schemas.objects import StateType

    from gridflow.notifications import read_notices

    late = tmp_path / "arrives-late.csv"

    async def fail(client):
        return await run_deployment(client, "ingest-pjm-load/pjm-load-file", {"path": str(late)})

    failed = on(stack, fail)
    assert failed.state.type == StateType.FAILED
    run_id = str(failed.id)

    inbox = stack.home / "notifications.jsonl"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and not any(n["flow_run_id"] == run_id for n in read_notices(inbox)):
        time.sleep(1)
    (notice,) = [n for n in read_notices(inbox) if n["flow_run_id"] == run_id]
    assert notice["deployment"] == "ingest-pjm-load/pjm-load-file" and notice["state"] == "Failed"
    assert "no such file" in notice["message"]
    assert notice["url"] == f"{stack.api_url.removesuffix('/api')}/runs/flow-run/{run_id}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not any(n["flow_run_id"] == run_id for n in Webhook.received):
        time.sleep(0.5)
    assert [n["text"] for n in Webhook.received if n["flow_run_id"] == run_id] == [notice["text"]]
    assert WEBHOOK_TOKEN not in stack.log("worker")

    # The file arrives; the operator retries the failed run from its notification link.
    write_pjme_excerpt(late, "2016-01-01", "2016-02-01")
    rerun = gridflow_cli(stack, "rerun", notice["url"])
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert notice["url"] in rerun.stdout

    async def retried(client):
        await asyncio.sleep(1)
        return await wait_final(client, failed.id, timeout=120)

    run = on(stack, retried)
    assert run.state.type == StateType.COMPLETED, stack.log("worker")
    assert run.run_count == 2


def test_schedules_and_events_start_their_deployments(stack):
    """Scheduled runs exist for the scheduled deployments, and a drift event and a pushed weather
    alert each start their deployment's run through its trigger (as the stack's automations)."""
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId

    from gridflow.replay.nws import SVR_ALERT_ID, svr_alert

    alert_file = stack.home / "pushed-alert.json"
    alert_file.write_text(json.dumps(svr_alert()))
    pushed = gridflow_cli(stack, "alerts", "push", str(alert_file))
    assert pushed.returncode == 0, pushed.stdout[-2000:] + pushed.stderr[-2000:]
    emit = ("from prefect.events import emit_event; "
            "emit_event(event='gridflow.model.drift.detected', resource={'prefect.resource.id': "
            "'gridflow.model.load_forecast'}, payload={'model': 'load_forecast', 'reason': 'test: stack drift'})")
    emitted = subprocess.run([sys.executable, "-c", emit], capture_output=True, text=True, timeout=60,
                             env={**stack.worker_env, "PREFECT_API_URL": stack.api_url})
    assert emitted.returncode == 0, emitted.stderr[-2000:]

    async def runs_of(client, name: str) -> list:
        deployment = await client.read_deployment_by_name(name)
        return await client.read_flow_runs(deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment.id])))

    async def scenario(client):
        deadline = time.monotonic() + 120
        found: dict[str, list] = {}
        while time.monotonic() < deadline:
            found = {name: await runs_of(client, name) for name in (
                "storm-response/on-alert", "retrain/load-forecast", "poll-weather-alerts/nws-active",
                "ingest-smart-meter/meter-dropbox")}
            triggered = [r for r in found["retrain/load-forecast"] if r.parameters.get("trigger") == "drift: test: stack drift"]
            if found["storm-response/on-alert"] and triggered and found["poll-weather-alerts/nws-active"] \
                    and found["ingest-smart-meter/meter-dropbox"]:
                return found, triggered
            await asyncio.sleep(2)
        raise AssertionError({k: len(v) for k, v in found.items()})

    found, triggered = on(stack, scenario)
    (storm_run,) = found["storm-response/on-alert"]
    assert storm_run.parameters == {"alert_id": SVR_ALERT_ID}
    assert storm_run.created_by is not None and storm_run.created_by.type == "AUTOMATION"
    assert triggered[0].created_by.type == "AUTOMATION"
    # The schedules (2-minute NWS poll, 15-minute meter scan) put runs on the calendar.
    assert all(r.auto_scheduled for r in found["ingest-smart-meter/meter-dropbox"])
