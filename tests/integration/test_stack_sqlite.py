"""The local stack as an operator runs it: `gridflow up`, work on it, `gridflow down`.

`gridflow up` starts the embedded stack in a fresh GRIDFLOW_HOME on free ports: the Prefect server
on SQLite, the deployments, the MLflow UI, a process worker and the scoring API. On it: schedules
put runs on the calendar; a failed run of a deployment notifies; `gridflow rerun` (the command, as
a process) retries it and serves the tasks that had finished from their persisted results;
`gridflow down` stops every process and removes the pid files. The PostgreSQL-backed twin of the
notification and schedule tests is tests/integration/test_stack_processes.py.

The tests run in file order on one stack (starting it costs about a minute); the last one stops it.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import free_port, wait_final
from tests.integration.served import task_states

pytestmark = pytest.mark.integration

ERCOT_DEPLOYMENT = "ingest-ercot/actual-load"
# Deployments with a schedule in deployments/definitions.py that runs at least every 15 minutes.
FREQUENT = ("poll-weather-alerts/nws-active", "ingest-smart-meter/meter-dropbox")


@dataclass
class LocalStack:
    home: Path
    env: dict[str, str]
    api_url: str
    ui_url: str
    mlflow_url: str
    scoring_url: str
    up_output: str

    def gridflow(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
        """`gridflow ARGS` as its own process on this stack."""
        return subprocess.run([sys.executable, "-m", "gridflow_cli", *args], env=self.env,
                              capture_output=True, text=True, timeout=timeout)

    def logs(self) -> str:
        """The tail of the worker's and the Prefect server's logs, for failure messages."""
        parts = []
        for path in (self.home / "stack" / "worker.log", self.home / "prefect" / "server.log"):
            if path.exists():
                parts.append(f"--- {path.name}\n{path.read_text(errors='replace')[-3000:]}")
        return "\n".join(parts)

    def pid_files(self) -> list[Path]:
        return sorted([*(self.home / "stack").glob("*.pid"), *(self.home / "prefect").glob("*.pid")])


def clean_environment() -> dict[str, str]:
    """This process's environment without Prefect, gridflow or MLflow settings of its own."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "GRIDFLOW_", "MLFLOW_"))}


def answers(url: str) -> bool:
    import httpx

    try:
        return httpx.get(url, timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


def running_processes() -> list[tuple[int, int]]:
    """(pid, process group) of every live process; zombies are gone for every purpose here."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z":
            found.append((int(stat.parent.name), int(fields[2])))
    return found


def alive(pid: int) -> bool:
    return any(p == pid for p, _ in running_processes())


@pytest.fixture(scope="module")
def local_stack(tmp_path_factory) -> Iterator[LocalStack]:
    home = tmp_path_factory.mktemp("local-stack") / "gridflow"
    prefect_port, mlflow_port, api_port = free_port(), free_port(), free_port()
    env = {
        **clean_environment(),
        "GRIDFLOW_HOME": str(home),
        "GRIDFLOW_PREFECT_PORT": str(prefect_port),
        "GRIDFLOW_MLFLOW_UI_PORT": str(mlflow_port),
        "GRIDFLOW_API_PORT": str(api_port),
        # The server's scheduler looks for schedules to fill every 5 s instead of every 60 s.
        "PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS": "5",
        # Failing documents give up fast: the test is about the retry of the run, not the client's.
        "GRIDFLOW_ERCOT__BACKOFF_SECONDS": "0.01",
        "GRIDFLOW_ERCOT__MAX_ATTEMPTS": "2",
    }
    stack = LocalStack(home=home, env=env, api_url=f"http://127.0.0.1:{prefect_port}/api",
                       ui_url=f"http://127.0.0.1:{prefect_port}", mlflow_url=f"http://127.0.0.1:{mlflow_port}",
                       scoring_url=f"http://127.0.0.1:{api_port}", up_output="")
    try:
        up = stack.gridflow("up", timeout=600)
        stack.up_output = up.stdout
        assert up.returncode == 0, up.stdout[-3000:] + up.stderr[-3000:] + stack.logs()
        yield stack
    finally:
        stack.gridflow("down", timeout=120)


def on(stack: LocalStack, scenario):
    """Run an async scenario with a Prefect client of the stack's API."""
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    async def main():
        async with get_client() as client:
            return await scenario(client)

    with temporary_settings(updates={PREFECT_API_URL: stack.api_url}):
        return asyncio.run(main())


def test_up_starts_every_process_and_each_answers(local_stack):
    out = local_stack.up_output
    for started in ("started the Prefect server", "deploy:", "started the MLflow UI", "started a worker",
                    "started the scoring API"):
        assert started in out, out
    assert answers(f"{local_stack.api_url}/health")
    assert answers(f"{local_stack.mlflow_url}/health")
    assert answers(f"{local_stack.scoring_url}/health")

    status = local_stack.gridflow("status")
    assert status.returncode == 0, status.stderr[-3000:]
    rows = {line.split()[0]: line.split()[1] for line in status.stdout.strip().splitlines()}
    assert rows == {"prefect-server": "running", "mlflow-ui": "running", "worker": "running", "api": "running"}, \
        status.stdout
    pids = {p.name: p.read_text() for p in local_stack.pid_files()}
    assert set(pids) == {"server.pid", "mlflow-ui.pid", "worker.pid", "api.pid"}

    # Idempotent: a second `up` starts no process and creates or deletes nothing. (A deployment's
    # version follows its flow's source, so an edit in between may update some: not asserted.)
    again = local_stack.gridflow("up", timeout=600)
    assert again.returncode == 0, again.stderr[-3000:]
    assert "started" not in again.stdout, again.stdout
    assert "deploy: 0 created, " in again.stdout and ", 0 deleted, " in again.stdout, again.stdout
    assert {p.name: p.read_text() for p in local_stack.pid_files()} == pids


def test_schedules_put_runs_on_the_calendar_and_no_schedules_takes_them_off(local_stack):
    from prefect.client.schemas.filters import (
        DeploymentFilter,
        DeploymentFilterId,
        FlowRunFilter,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType

    async def scheduled(client) -> dict[str, list]:
        found = {}
        for name in FREQUENT:
            deployment = await client.read_deployment_by_name(name)
            found[name] = await client.read_flow_runs(
                deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment.id])),
                flow_run_filter=FlowRunFilter(state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.SCHEDULED]))))
        return found

    async def wait_scheduled(client) -> dict[str, list]:
        deadline = time.monotonic() + 180
        while True:
            found = await scheduled(client)
            if all(found.values()) or time.monotonic() > deadline:
                return found
            await asyncio.sleep(2)

    found = on(local_stack, wait_scheduled)
    for name, runs in found.items():
        assert runs, f"no scheduled run of {name}: {local_stack.logs()}"
        assert all(r.auto_scheduled for r in runs), name

    # Offline machines and demos: the schedules are switched off, and their future runs go with them.
    off = local_stack.gridflow("deploy", "--no-schedules")
    assert off.returncode == 0, off.stderr[-3000:]

    async def schedules_off(client):
        return {name: [s.active for s in (await client.read_deployment_by_name(name)).schedules]
                for name in FREQUENT}

    assert on(local_stack, schedules_off) == {name: [False] for name in FREQUENT}
    left = on(local_stack, scheduled)
    assert not any(r.auto_scheduled and r.expected_start_time and r.expected_start_time.timestamp() > time.time() + 5
                   for runs in left.values() for r in runs), left


def test_a_failed_run_notifies_and_gridflow_rerun_serves_finished_tasks_from_their_results(local_stack):
    from prefect.client.schemas.objects import StateType

    from gridflow.notifications import read_notices
    from gridflow.replay import ReplayServer
    from gridflow.replay.ercot_mis import serve_mis
    from gridflow.warehouse.engine import make_engine, upgrade
    from tests.integration.test_ingest_ercot import four_docs

    # The stack's own warehouse; a real fault in it: the third document's bookkeeping row is refused.
    engine = make_engine(f"sqlite:///{local_stack.home / 'warehouse.db'}")
    upgrade(engine)
    with engine.begin() as conn:
        conn.execute(sa.text(
            "CREATE TRIGGER doc_502_down BEFORE INSERT ON source_document WHEN NEW.doc_id = '502' "
            "BEGIN SELECT RAISE(ABORT, 'document store unavailable (injected by test)'); END"))

    def loaded_rows() -> int:
        # Only the four documents' days: a scheduled ERCOT run on a connected machine may add today's.
        with engine.connect() as conn:
            return conn.execute(sa.text(
                "SELECT count(*) FROM load_observation WHERE interval_start_utc >= '2023-11-14' "
                "AND interval_start_utc < '2023-11-19'")).scalar_one()

    with ReplayServer() as mis:
        serve_mis(mis, 13101, four_docs())

        async def start_and_fail(client):
            deployment = await client.read_deployment_by_name(ERCOT_DEPLOYMENT)
            created = await client.create_flow_run_from_deployment(
                deployment.id, parameters={"report": "actual_load_wz", "base_url": mis.base_url})
            return await wait_final(client, created.id, timeout=300), await task_states(client, created.id)

        failed, first = on(local_stack, start_and_fail)
        assert failed.state.type == StateType.FAILED, local_stack.logs()
        assert first["ingest-ercot-502"] == ["Failed"], first
        assert loaded_rows() == 3 * 216
        run_id = str(failed.id)

        # The failure notification names the run and links it.
        inbox = local_stack.home / "notifications.jsonl"
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and not any(n["flow_run_id"] == run_id for n in read_notices(inbox)):
            time.sleep(2)
        notices = [n for n in read_notices(inbox) if n["flow_run_id"] == run_id]
        assert len(notices) == 1, local_stack.logs()
        (notice,) = notices
        assert notice["deployment"] == ERCOT_DEPLOYMENT and notice["state"] == "Failed"
        assert notice["url"] == f"{local_stack.ui_url}/runs/flow-run/{run_id}"

        # The operator fixes the store and retries from the notification's link.
        with engine.begin() as conn:
            conn.execute(sa.text("DROP TRIGGER doc_502_down"))
        rerun = local_stack.gridflow("rerun", notice["url"])
        assert rerun.returncode == 0, rerun.stdout[-2000:] + rerun.stderr[-3000:]
        assert notice["url"] in rerun.stdout

        async def retried(client):
            deadline = time.monotonic() + 60
            while (await client.read_flow_run(failed.id)).run_count < 2 and time.monotonic() < deadline:
                await asyncio.sleep(1)  # the worker has not picked the retry up yet
            return await wait_final(client, failed.id, timeout=300), await task_states(client, failed.id)

        run, after = on(local_stack, retried)
        downloads = [r.query.get("doclookupId") for r in mis.requests if r.path.endswith("mirDownload")]

    assert run.state.type == StateType.COMPLETED, local_stack.logs()
    assert run.run_count == 2
    # The tasks that had finished were served from their persisted results, not executed again:
    # their task runs say so, and the fake MIS saw each of those documents fetched exactly once.
    assert after["list-ercot-actual_load_wz"] == ["Completed", "Cached"], after
    for doc in ("500", "501", "503"):
        assert after[f"ingest-ercot-{doc}"] == ["Completed", "Cached"], (doc, after)
    assert after["ingest-ercot-502"] == ["Failed", "Completed"], after
    assert sorted(downloads) == ["500", "501", "502", "502", "503"]
    assert loaded_rows() == 4 * 216
    engine.dispose()


def test_down_stops_every_process_and_removes_the_pid_files(local_stack):
    pids = {p.name: int(p.read_text().strip()) for p in local_stack.pid_files()}
    assert set(pids) == {"server.pid", "mlflow-ui.pid", "worker.pid", "api.pid"}
    assert all(alive(pid) for pid in pids.values()), pids

    down = local_stack.gridflow("down", timeout=180)
    assert down.returncode == 0, down.stderr[-3000:]
    said = {line.split()[0]: " ".join(line.split()[1:]) for line in down.stdout.strip().splitlines()}
    assert said == {"api": "stopped", "worker": "stopped", "mlflow-ui": "stopped", "prefect-server": "stopped"}, \
        down.stdout

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and any(alive(pid) for pid in pids.values()):
        time.sleep(0.5)
    assert not [name for name, pid in pids.items() if alive(pid)]
    # Nothing left of their process groups either (flow-run processes, uvicorn and gunicorn children).
    assert not [p for p in running_processes() if p[1] in pids.values()], running_processes()
    assert local_stack.pid_files() == []
    for url in (f"{local_stack.api_url}/health", f"{local_stack.mlflow_url}/health",
                f"{local_stack.scoring_url}/health"):
        assert not answers(url), url

    status = local_stack.gridflow("status")
    assert {line.split()[1] for line in status.stdout.strip().splitlines()} == {"stopped"}, status.stdout
