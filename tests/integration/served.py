"""Helpers for tests that run deployments in a real `gridflow serve` process and act like the UI."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def served(env: dict[str, str], log_path: Path, *deployments: str) -> Iterator[subprocess.Popen]:
    """A `gridflow serve --deployment ...` process polling every second; killed on exit."""
    args = [a for name in deployments for a in ("--deployment", name)]
    full_env = {**os.environ, **env, "PREFECT_RUNNER_POLL_FREQUENCY": "1"}
    with log_path.open("wb") as log:
        process = subprocess.Popen([sys.executable, "-m", "gridflow_cli", "serve", *args], env=full_env,
                                   stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            yield process
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


async def wait_deployment(client, name: str, process: subprocess.Popen, timeout: float = 120):
    """The deployment `FLOW/NAME` once the serve process has registered it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "the serve process died"
        try:
            return await client.read_deployment_by_name(name)
        except Exception:
            await asyncio.sleep(1)
    raise AssertionError(f"deployment {name} never appeared")


async def task_states(client, flow_run_id) -> dict[str, list[str]]:
    """Task run name -> state names of its runs, oldest first."""
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    runs = await client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])))
    states: dict[str, list[str]] = {}
    for run in sorted(runs, key=lambda r: r.created):
        states.setdefault(run.name, []).append(run.state.name)
    return states


async def wait_triggers(client, deployment_id, count: int = 1, timeout: float = 60) -> list:
    """The deployment's trigger automations once the serve process has (re)created them: on the
    session's server the deployment itself may be left over from an earlier test."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = await client.read_resource_related_automations(f"prefect.deployment.{deployment_id}")
        if len(found) >= count:
            return found
        await asyncio.sleep(0.5)
    raise AssertionError(f"no trigger automation for deployment {deployment_id}")


async def retry_like_the_ui(client, flow_run_id) -> None:
    """What the Prefect UI's Retry button sends for a finished flow run."""
    from prefect.client.schemas.objects import StateType
    from prefect.states import State

    await client.set_flow_run_state(
        flow_run_id, State(type=StateType.SCHEDULED, name="AwaitingRetry", message="Retry from the UI"), force=True
    )


async def delete_deployment_automations(client, deployment_id) -> None:
    """Served deployments' triggers outlive them on the session-wide server: remove them."""
    for automation in await client.read_resource_related_automations(f"prefect.deployment.{deployment_id}"):
        await client.delete_automation(automation.id)
