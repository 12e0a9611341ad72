"""Operations commands: `gridflow up | down | status | deploy | worker | rerun`.

Registered at the top level of the `gridflow` command by `register(app)`. Prefect is imported
inside the commands, after the process has been pointed at the right API.
"""

from __future__ import annotations

import os
import re
import sys
import time
from typing import TYPE_CHECKING, Annotated
from uuid import UUID

import typer

from gridflow.config import get_settings
from gridflow.errors import ConfigError, GridflowError
from gridflow_cli.shell import bootstrap, fail

if TYPE_CHECKING:
    from gridflow.services.deploy import DeployReport

POOL_HELP = "work pool (default: the one in deployments/definitions.py)"
SCHEDULES_HELP = "register schedules switched on (--no-schedules: offline machines, demos; triggers still work)"
# The states the UI offers Retry for.
RETRYABLE_STATES = frozenset({"COMPLETED", "FAILED", "CRASHED", "CANCELLED"})
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)



def _default_pool() -> str:
    from deployments.definitions import WORK_POOL

    return WORK_POOL



def _point_prefect_at_stack():
    """Export the stack's Prefect environment before anything imports Prefect (it reads its
    settings once, at import)."""
    from gridflow.prefect_env import configure_prefect
    from gridflow.services import stack

    settings = get_settings()
    configure_prefect(settings, stack.api_url(settings))
    return settings


def describe_report(report: DeployReport, verbose: bool = False) -> str:
    """The deploy report as printed: changed objects one per line, then the counts."""
    lines = [f"  {c}" for c in report.changes if verbose or c.action != "unchanged"]
    return "\n".join([*lines, f"deploy: {report.summary()}"])


def _deploy_and_describe(pool: str | None, prune: bool, verbose: bool = False, schedules: bool = True) -> str:
    from deployments.automations import failure_automations
    from deployments.definitions import WORK_POOL, WORK_QUEUES, all_deployments, work_queue_for
    from gridflow.services.deploy import deploy

    report = deploy(all_deployments(), pool=pool or WORK_POOL, queues=WORK_QUEUES, queue_for=work_queue_for,
                    extra_automations=failure_automations, prune=prune, schedules_active=schedules)
    return describe_report(report, verbose)



def up(
    pool: Annotated[str | None, typer.Option(help=POOL_HELP)] = None,
    limit: Annotated[int, typer.Option(help="flow runs the worker runs at once")] = 4,
    schedules: Annotated[bool, typer.Option(help=SCHEDULES_HELP)] = True,
):
    """Start the local stack: Prefect server, deployments, MLflow UI and a worker (127.0.0.1)."""
    from gridflow.services import stack

    settings = _point_prefect_at_stack()
    settings.home.mkdir(parents=True, exist_ok=True)
    pool = pool or _default_pool()
    try:
        rows = stack.up(settings, pool=pool, limit=limit, echo=typer.echo,
                        deploy=lambda: _deploy_and_describe(pool, prune=True, schedules=schedules))
    except GridflowError as exc:
        fail(exc)
    _print_status(rows)
    typer.echo(f"\nPrefect UI: {stack.ui_url(settings)}   (`gridflow down` stops the stack)")


def down():
    """Stop the local stack's worker, MLflow UI and Prefect server."""
    from gridflow.services import stack

    for name, was_running in stack.down(get_settings()):
        typer.echo(f"{name:<15} {'stopped' if was_running else 'not running'}")


def status(pool: Annotated[str | None, typer.Option(help=POOL_HELP)] = None):
    """What runs: each process of the stack with its pid, health and URL."""
    from gridflow.services import stack

    settings = _point_prefect_at_stack()
    _print_status(stack.status(settings, pool=pool or _default_pool()))


def _print_status(rows) -> None:
    for row in rows:
        note = f"  ({row.note})" if row.note else ""
        typer.echo(f"{row.name:<15} {row.state:<10} pid {row.pid or '-':<8} {row.url or ''}{note}")


def deploy(
    pool: Annotated[str | None, typer.Option(help=POOL_HELP)] = None,
    prune: Annotated[bool, typer.Option(help="delete deployments of the pool that are no longer defined")] = True,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="list unchanged objects too")] = False,
    schedules: Annotated[bool, typer.Option(help=SCHEDULES_HELP)] = True,
):
    """Register every deployment, its triggers and the failure notification on the Prefect API.

    Idempotent: a second run changes nothing. Against the local server unless
    GRIDFLOW_PREFECT_API_URL is set.
    """
    bootstrap()
    try:
        typer.echo(_deploy_and_describe(pool, prune, verbose, schedules))
    except GridflowError as exc:
        fail(exc)


def worker(
    pool: Annotated[str | None, typer.Option(help=POOL_HELP)] = None,
    limit: Annotated[int, typer.Option(help="flow runs at once")] = 4,
    deploy_first: Annotated[bool, typer.Option("--deploy", help="run `gridflow deploy` first (compose)")] = False,
    healthcheck: Annotated[bool, typer.Option(help="serve /health on PREFECT_WORKER_WEBSERVER_PORT")] = False,
    wait: Annotated[float, typer.Option(help="seconds to wait for the Prefect API")] = 120.0,
):
    """Run a process worker on the work pool in the foreground (what `up` and docker-compose start).

    Flow runs inherit this process's environment: gridflow's stores and persisted results.
    """
    from gridflow.services import prefect_server

    settings = bootstrap()
    pool = pool or _default_pool()
    api = os.environ["PREFECT_API_URL"]
    deadline = time.monotonic() + wait
    while not prefect_server.is_healthy(api):
        if time.monotonic() > deadline:
            fail(ConfigError(f"no Prefect API answers at {api} after {wait:.0f} s"))
        time.sleep(2)
    if deploy_first:
        try:
            typer.echo(_deploy_and_describe(pool, prune=True))
        except GridflowError as exc:
            fail(exc)
    command = [sys.executable, "-m", "prefect", "worker", "start", "--pool", pool, "--type", "process",
               "--limit", str(limit), "--install-policy", "never"]
    if healthcheck:
        command.append("--with-healthcheck")
    typer.echo(f"worker on {pool} (Prefect API {api}, data folder {settings.home})")
    sys.stdout.flush()
    # Replaces this process, so the pid `gridflow up` recorded is the worker's.
    os.execv(sys.executable, command)


def parse_flow_run_ref(text: str) -> UUID:
    """A flow run id from an id or a UI link (as in a failure notification)."""
    match = _UUID.search(text)
    if match is None:
        raise ConfigError(f"no flow run id in {text!r}")
    return UUID(match.group(0))


def rerun(flow_run: Annotated[str, typer.Argument(help="flow run id, or its UI link")]):
    """Retry a finished run of a deployment, as the UI's Retry button does.

    The same flow run goes back to Scheduled ("AwaitingRetry"); a worker picks it up, and tasks that
    had succeeded are served from their persisted results.
    """
    try:
        run_id = parse_flow_run_ref(flow_run)
    except ConfigError as exc:
        fail(exc)
    bootstrap()
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.objects import StateType
    from prefect.exceptions import ObjectNotFound
    from prefect.states import State
    from prefect.utilities.urls import url_for

    with get_client(sync_client=True) as client:
        try:
            run = client.read_flow_run(run_id)
        except ObjectNotFound:
            fail(ConfigError(f"no flow run {run_id} on {os.environ['PREFECT_API_URL']}"))
        state = run.state.type.value if run.state else "UNKNOWN"
        if run.deployment_id is None:
            fail(ConfigError(f"run {run_id} was not started from a deployment: no worker can pick it up again"))
        if state not in RETRYABLE_STATES:
            fail(ConfigError(f"run {run_id} is {state}: only finished runs can be retried"))
        result = client.set_flow_run_state(
            run_id, State(type=StateType.SCHEDULED, name="AwaitingRetry", message="Retry from `gridflow rerun`"),
            force=True)
    if result.status.value != "ACCEPT":
        fail(ConfigError(f"the server refused the retry: {result.details}"))
    typer.echo(f"run {run.name} ({run_id}) was {state}; scheduled again (AwaitingRetry)")
    typer.echo(url_for("flow-run", obj_id=run_id) or str(run_id))


def register(app: typer.Typer) -> None:
    """Add the operations commands at the top level of `app`."""
    for command in (up, down, status, deploy, worker, rerun):
        app.command(command.__name__)(command)
