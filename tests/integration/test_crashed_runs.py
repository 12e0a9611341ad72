"""A run killed with its machine is caught: the worker and the run's process get SIGKILL in the middle
of an ingest, with the file's ledger row open.

`gridflow deploy` registered the deployments on a work pool with its automations; a `gridflow
worker` runs them with heartbeats on. Once the heartbeats stop, the crash automation marks the run
Crashed (it would say Running for ever), and the failure notification fires for it as for any crash.
The next run of the source closes the row the killed run left "started" and loads the file again;
the operator's Retry of the killed run then finishes that row with its real outcome.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from tests.conftest import wait_final, write_pjme_excerpt
from tests.integration.served import retry_like_the_ui

pytestmark = pytest.mark.integration

INGEST = "ingest-pjm-load/pjm-load-file"
SOURCE = "pjm_load_csv"
# Prefect's shortest heartbeat period, and a crash after two missed beats: about a minute.
HEARTBEAT = {"GRIDFLOW_HEARTBEAT__SECONDS": "30", "GRIDFLOW_HEARTBEAT__MISSED": "2"}


@pytest.fixture
def crash_env(gridflow_env, monkeypatch) -> dict[str, str]:
    """The test's stores, with short heartbeats for `deploy` (here) and the workers (subprocesses)."""
    from gridflow.config import reset_settings

    for key, value in HEARTBEAT.items():
        monkeypatch.setenv(key, value)
    reset_settings()
    return {**gridflow_env, **HEARTBEAT}


@pytest.fixture
def pool(crash_env) -> Iterator[str]:
    """The notifier and the PJM file ingest registered by `deploy` on a work pool of this test, with
    the crash and failure automations; all removed afterwards (the Prefect server is shared)."""
    from deployments.automations import failure_automations
    from deployments.definitions import NOTIFY_DEPLOYMENT, WORK_QUEUES, all_deployments, work_queue_for
    from gridflow.services.deploy import deploy

    name = f"crash-test-{uuid.uuid4().hex[:8]}"
    chosen = [d for d in all_deployments() if f"{d.flow_name}/{d.name}" in {INGEST, NOTIFY_DEPLOYMENT}]
    report = deploy(chosen, pool=name, queues=WORK_QUEUES, queue_for=work_queue_for,
                    extra_automations=failure_automations)
    again = deploy(chosen, pool=name, queues=WORK_QUEUES, queue_for=work_queue_for,
                   extra_automations=failure_automations)
    # Registered once: a second deploy finds the crash detection and the notification as they should be.
    assert {(c.action, c.name) for c in again.changes if c.kind == "automation"} >= {
        ("unchanged", "gridflow-crash-on-missed-heartbeats"), ("unchanged", "gridflow-notify-on-failure")}, again.changes
    try:
        yield name
    finally:
        asyncio.run(_remove(name, report.deployment_ids.values(), [a.name for a in failure_automations(
            report.deployment_ids)]))


async def _remove(pool: str, deployment_ids, automation_names: list[str]) -> None:
    from prefect.client.orchestration import get_client

    async with get_client() as client:
        for automation in await client.read_automations():
            if automation.name in automation_names:
                await client.delete_automation(automation.id)
        for deployment_id in deployment_ids:
            with contextlib.suppress(Exception):
                await client.delete_deployment(deployment_id)
        with contextlib.suppress(Exception):
            await client.delete_work_pool(pool)


def kill_tree(pid: int, sig: int = signal.SIGKILL) -> list[int]:
    """Send `sig` to a process and every process below it (a flow run's process is in its own
    session, out of reach of the worker's group); returns their pids."""
    try:
        root = psutil.Process(pid)
        tree = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []
    for process in tree:
        with contextlib.suppress(psutil.NoSuchProcess):
            process.send_signal(sig)
    return [p.pid for p in tree]


@contextlib.contextmanager
def worker(env: dict[str, str], pool: str, log_path: Path) -> Iterator[subprocess.Popen]:
    """`gridflow worker` on the pool, as `gridflow up` starts it; its process tree killed on exit."""
    full_env = {**os.environ, **env, "PREFECT_WORKER_QUERY_SECONDS": "1"}
    with log_path.open("wb") as log:
        process = subprocess.Popen([sys.executable, "-m", "gridflow_cli", "worker", "--pool", pool, "--limit", "2"],
                                   env=full_env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   start_new_session=True)
        try:
            yield process
        finally:
            kill_tree(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                kill_tree(process.pid)
                process.wait()


@contextlib.contextmanager
def frozen_on_open_ledger_row(database: Path, source: str, timeout: float = 300) -> Iterator[dict]:
    """Hold the SQLite warehouse's write lock from the moment a "started" row of `source` exists: the
    ingest that opened it can read and compute but not finish it. Yields that row."""
    conn = sqlite3.connect(database, timeout=60, isolation_level=None)
    deadline = time.monotonic() + timeout
    try:
        while True:
            assert time.monotonic() < deadline, f"no ledger row of {source} was opened"
            conn.execute("BEGIN IMMEDIATE")
            try:
                row = conn.execute("SELECT id, status, details FROM ingest_ledger WHERE source = ? AND status = 'started'",
                                   (source,)).fetchone()
            except sqlite3.OperationalError:  # not migrated yet
                row = None
            if row is not None:
                break
            conn.execute("ROLLBACK")
            time.sleep(0.05)
        yield {"id": row[0], "status": row[1], "details": row[2]}
    finally:
        with contextlib.suppress(sqlite3.Error):
            conn.execute("ROLLBACK")
        conn.close()


def ledger(ledger_id: int | None = None) -> list[dict]:
    from gridflow.warehouse.ledger import list_ingests
    from tasks.common import warehouse

    with warehouse().connect() as conn:
        rows = [r for r in list_ingests(conn, dataset="pjm_load") if r["source"] == SOURCE]
    return [r for r in rows if ledger_id is None or r["id"] == ledger_id]


def observations() -> int:
    import sqlalchemy as sa

    from tasks.common import warehouse

    with warehouse().connect() as conn:
        return conn.execute(sa.text("SELECT count(*) FROM load_observation")).scalar_one()


async def heartbeats_of(client, flow_run_id) -> int:
    from prefect.events.filters import EventFilter, EventNameFilter, EventResourceFilter

    page = await client.read_events(EventFilter(event=EventNameFilter(name=["prefect.flow-run.heartbeat"]),
                                                resource=EventResourceFilter(id=[f"prefect.flow-run.{flow_run_id}"])),
                                    limit=10)  # the client's default (100) is over the server's maximum
    return len(page.events)


async def wait_for(check, what: str, timeout: float, every: float = 1.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = await check()
        if found:
            return found
        await asyncio.sleep(every)
    raise AssertionError(f"{what} not after {timeout:.0f} s")


def test_a_killed_run_is_marked_crashed_notified_and_its_ledger_row_recovered(crash_env, pool, tmp_path):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.objects import StateType

    from gridflow.config import get_settings
    from gridflow.notifications import NOTIFICATIONS_FILE, read_notices
    from gridflow.runtime import warehouse

    settings = get_settings()
    warehouse()  # migrated (and in WAL mode) before the test's own connection opens it
    csv = write_pjme_excerpt(tmp_path / "PJME-2015.csv", "2015-01-01", "2016-01-01")
    inbox = settings.home / NOTIFICATIONS_FILE
    database = settings.home / "warehouse.db"

    async def start_ingest(client):
        deployment = await client.read_deployment_by_name(INGEST)
        return await client.create_flow_run_from_deployment(deployment.id, parameters={"path": str(csv)})

    async def run_state(client, run_id):
        return (await client.read_flow_run(run_id)).state

    async def scenario():
        async with get_client() as client:
            with worker(crash_env, pool, tmp_path / "worker-1.log") as first:
                run = await start_ingest(client)
                with frozen_on_open_ledger_row(database, SOURCE) as open_row:
                    # The run has said it is alive at least once, then its machine goes away.
                    await wait_for(lambda: heartbeats_of(client, run.id), "a heartbeat of the run", 25, every=0.5)
                    killed = kill_tree(first.pid)
            running = await run_state(client, run.id)
            crashed = await wait_for(
                lambda: _final(client, run.id), "the killed run's Crashed state", 300, every=2)
            with worker(crash_env, pool, tmp_path / "worker-2.log"):
                notices = await wait_for(
                    lambda: _async([n for n in read_notices(inbox) if n["flow_run_id"] == str(run.id)]),
                    "the failure notification", 300, every=2)
                after_crash = ledger(open_row["id"])
                again = await start_ingest(client)
                again = await wait_final(client, again.id, timeout=300)
                after_rerun = ledger()
                rows_after_rerun = observations()
                await retry_like_the_ui(client, run.id)
                await asyncio.sleep(1)
                retried = await wait_final(client, run.id, timeout=300)
            return run, open_row, killed, running, crashed, notices, after_crash, again, after_rerun, \
                rows_after_rerun, retried

    run, open_row, killed, running, crashed, notices, after_crash, again, after_rerun, rows_after_rerun, retried = \
        asyncio.run(scenario())
    logs = "\n".join((tmp_path / f"worker-{i}.log").read_text(errors="replace")[-3000:] for i in (1, 2))

    assert len(killed) >= 2, f"the worker and the run's process: {killed}"
    # Killed with its process: nothing told the server, the run still says Running.
    assert running.type == StateType.RUNNING, running
    # The crash automation marked it Crashed once its heartbeats stopped.
    assert crashed.type == StateType.CRASHED, (crashed, logs)
    assert "No heartbeat" in crashed.message and "gridflow-crash-on-missed-heartbeats" in crashed.message

    # The failure notification fired for it as for any crash.
    (notice,) = notices
    assert notice["deployment"] == INGEST and notice["state"] == "Crashed"
    assert "No heartbeat" in notice["message"]
    assert notice["url"].endswith(f"/runs/flow-run/{run.id}")

    # The row the killed run left open said which attempt opened it, and stayed open until the next run.
    assert open_row["status"] == "started" and str(run.id) in open_row["details"]
    assert [r["status"] for r in after_crash] == ["started"]

    # The next run of the source closed it as abandoned, naming the run, and loaded the file again.
    assert again.state.type == StateType.COMPLETED, (again.state, logs)
    (abandoned,) = [r for r in after_rerun if r["id"] == open_row["id"]]
    assert abandoned["status"] == "failed"
    assert abandoned["reason"].startswith(f"abandoned: flow run {run.id} (attempt 1) ended Crashed")
    (loaded,) = [r for r in after_rerun if r["status"] == "loaded"]
    assert loaded["id"] > open_row["id"] and loaded["rows_written"] == rows_after_rerun > 8000
    assert [r["status"] for r in after_rerun if r["status"] == "started"] == []

    # The operator's Retry of the killed run finished its row with the real outcome (same rows).
    assert retried.state.type == StateType.COMPLETED, (retried.state, logs)
    assert retried.run_count == 2
    (recovered,) = ledger(open_row["id"])
    assert recovered["status"] == "loaded" and recovered["rows_written"] == rows_after_rerun
    assert observations() == rows_after_rerun
    assert [r["status"] for r in ledger() if r["status"] == "started"] == []


async def _final(client, run_id):
    state = (await client.read_flow_run(run_id)).state
    return state if state is not None and state.is_final() else None


async def _async(value):
    return value


def test_a_killed_cli_ingest_is_marked_crashed_and_the_next_one_cleans_its_row(crash_env, pool, tmp_path):
    """The issue's own case: `gridflow ingest pjm --file` killed with -9 mid-ingest (no deployment,
    no worker). Crash detection watches gridflow's flows, so the run does not stay Running."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.objects import StateType

    from gridflow.config import get_settings
    from gridflow.runtime import warehouse

    settings = get_settings()
    warehouse()
    csv = write_pjme_excerpt(tmp_path / "PJME-2014.csv", "2014-01-01", "2015-01-01")
    command = [sys.executable, "-m", "gridflow_cli", "ingest", "pjm", "--file", str(csv)]
    env = {**os.environ, **crash_env}

    with (tmp_path / "cli-1.log").open("wb") as log:
        cli = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                               start_new_session=True)
        try:
            with frozen_on_open_ledger_row(settings.home / "warehouse.db", SOURCE) as open_row:
                run_id = uuid.UUID(json.loads(open_row["details"])["opened_by"]["flow_run_id"])

                async def beat():
                    async with get_client() as client:
                        await wait_for(lambda: heartbeats_of(client, run_id), "a heartbeat of the run", 25, every=0.5)

                asyncio.run(beat())
                kill_tree(cli.pid)
        finally:
            kill_tree(cli.pid)
            cli.wait()

    async def crashed():
        async with get_client() as client:
            running = (await client.read_flow_run(run_id)).state
            return running, await wait_for(lambda: _final(client, run_id), "the killed run's Crashed state", 300,
                                           every=2)

    running, final = asyncio.run(crashed())
    log_text = (tmp_path / "cli-1.log").read_text(errors="replace")[-3000:]
    assert running.type == StateType.RUNNING, running
    assert final.type == StateType.CRASHED and "No heartbeat" in final.message, (final, log_text)
    assert [r["status"] for r in ledger(open_row["id"])] == ["started"]

    again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stdout[-2000:] + again.stderr[-2000:]
    (abandoned,) = ledger(open_row["id"])
    assert abandoned["status"] == "failed"
    assert abandoned["reason"].startswith(f"abandoned: flow run {run_id} (attempt 1) ended Crashed")
    (loaded,) = [r for r in ledger() if r["status"] == "loaded"]
    assert loaded["rows_written"] == observations() > 8000
