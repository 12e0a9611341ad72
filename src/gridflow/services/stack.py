"""The local stack (embedded default): `gridflow up | down | status`.

Four processes on 127.0.0.1, each with a pid file and a log under `$GRIDFLOW_HOME/stack/` (the
Prefect server keeps its own under `$GRIDFLOW_HOME/prefect/`):
- the Prefect server (SQLite), unless `GRIDFLOW_PREFECT_API_URL` points at another one;
- the MLflow UI on the embedded tracking store (not started when the store is an MLflow server);
- a process worker (`gridflow worker`) that executes every deployment `gridflow deploy` registered:
  schedules, event triggers, runs started from the UI, retries;
- the scoring API (`gridflow api`), serving every champion and following its moves.
It is the docker-compose stack's shape with the servers' databases on SQLite.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from gridflow.config import Settings
from gridflow.errors import ConfigError
from gridflow.services import mlflow_server, port_owner, prefect_server

# Deployment runs start within this many seconds of being scheduled or triggered (Prefect's
# default is 10 s; every poll costs the SQLite server a little CPU).
WORKER_QUERY_SECONDS = 5
WORKER_LIMIT = 4


@dataclass(frozen=True)
class Service:
    """A long-running process of the stack: how to start it, where it logs, how to check it."""

    name: str
    command: tuple[str, ...]
    run_dir: Path
    env: Mapping[str, str] = field(default_factory=dict)
    url: str | None = None
    health: Callable[[], bool] | None = None
    # A service that listens on a port: healthy before it starts means another program holds the port.
    # A worker listens on nothing, and its pool reads `ready` for a while after a worker stopped.
    owns_port: bool = True

    @property
    def pid_file(self) -> Path:
        """File holding the process id."""
        return self.run_dir / f"{self.name}.pid"

    @property
    def log_file(self) -> Path:
        """The process's combined stdout and stderr."""
        return self.run_dir / f"{self.name}.log"


@dataclass(frozen=True)
class ServiceStatus:
    """What `gridflow status` shows for one process."""

    name: str
    pid: int | None
    healthy: bool
    url: str | None
    log_file: Path | None
    note: str = ""

    @property
    def state(self) -> str:
        """running (healthy), starting/unhealthy (alive, not answering) or stopped."""
        if self.healthy:
            return "running"
        return "unhealthy" if self.pid is not None else "stopped"


def service_pid(service: Service) -> int | None:
    """The recorded pid of the service if that process is still alive."""
    try:
        pid = int(service.pid_file.read_text().strip())
    except (OSError, ValueError):
        return None
    _reap(pid)
    try:
        os.kill(pid, 0)
    except OSError:
        return None
    return pid


def _reap(pid: int) -> None:
    """Collect the exit status if `pid` is a finished child of this process (tests, a failed
    start); otherwise a zombie would look alive."""
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


def start_service(service: Service, timeout: float = 90.0) -> bool:
    """Start the service unless it runs; wait until it is healthy. True if this call started it."""
    if service_pid(service) is not None:
        return False
    if service.owns_port and service.health is not None and service.health():
        raise ConfigError(f"something else already answers at {service.url}; stop it or choose another port")
    service.run_dir.mkdir(parents=True, exist_ok=True)
    with service.log_file.open("ab") as log:
        process = subprocess.Popen(
            list(service.command), env={**os.environ, **service.env}, stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # outlives `gridflow up`; `down` stops the whole group
        )
    service.pid_file.write_text(str(process.pid))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            service.pid_file.unlink(missing_ok=True)
            raise ConfigError(f"{service.name} exited with code {process.returncode}; see {service.log_file}")
        if service.health is None or service.health():
            return True
        time.sleep(0.5)
    stop_service(service)
    raise ConfigError(f"{service.name} was not healthy within {timeout:.0f} s; see {service.log_file}")


def stop_service(service: Service, timeout: float = 20.0) -> bool:
    """Stop the service and its children (SIGTERM, then SIGKILL); False if it was not running."""
    pid = service_pid(service)
    service_was_running = pid is not None
    if pid is not None:
        _signal_group(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and service_pid(service) is not None:
            time.sleep(0.2)
        if service_pid(service) is not None:
            _signal_group(pid, signal.SIGKILL)
    service.pid_file.unlink(missing_ok=True)
    return service_was_running


def _signal_group(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)
    except OSError:
        with contextlib.suppress(OSError):  # already gone
            os.kill(pid, sig)


# ---------------------------------------------------------------------------------------------
# The stack's services.


def run_dir(settings: Settings) -> Path:
    """Where the stack keeps pid files and logs."""
    return settings.home / "stack"


def local_server(settings: Settings) -> prefect_server.LocalPrefectServer:
    """The local Prefect server of this data folder."""
    return prefect_server.LocalPrefectServer(home=settings.prefect_home, port=settings.prefect_port)


def api_url(settings: Settings) -> str:
    """The Prefect API the stack uses: the configured one, else the local server."""
    return settings.prefect_api_url or local_server(settings).api_url


def ui_url(settings: Settings) -> str:
    """The Prefect UI of that API."""
    url = api_url(settings)
    return url[: -len("/api")] if url.endswith("/api") else url


def embedded_mlflow(settings: Settings) -> bool:
    """True when MLflow is a local store (then the stack serves its UI); False for a server."""
    return not str(settings.mlflow_tracking_uri).startswith(("http://", "https://"))


def mlflow_ui_service(settings: Settings) -> Service:
    """The MLflow UI on the embedded tracking store."""
    return Service(
        name="mlflow-ui",
        command=tuple(mlflow_server.server_command(
            backend_store_uri=str(settings.mlflow_tracking_uri), port=settings.mlflow_ui_port,
            default_artifact_root=settings.mlflow_artifact_root)),
        run_dir=run_dir(settings),
        env=dict(mlflow_server.SERVER_ENVIRONMENT),
        url=settings.mlflow_ui_url,
        health=lambda: mlflow_server.is_healthy(settings.mlflow_ui_url),
    )


def worker_service(settings: Settings, pool: str, limit: int = WORKER_LIMIT,
                   health: Callable[[], bool] | None = None) -> Service:
    """A process worker on `pool`, with this data folder and Prefect API."""
    return Service(
        name="worker",
        command=(sys.executable, "-m", "gridflow_cli", "worker", "--pool", pool, "--limit", str(limit)),
        run_dir=run_dir(settings),
        env={
            # Absolute, so the flow runs the worker starts find the same stores from any directory.
            "GRIDFLOW_HOME": str(settings.home),
            "GRIDFLOW_PREFECT_API_URL": api_url(settings),
            "PREFECT_WORKER_QUERY_SECONDS": str(WORKER_QUERY_SECONDS),
        },
        url=f"{ui_url(settings)}/work-pools/work-pool/{pool}",
        health=health,
        owns_port=False,
    )


def api_service(settings: Settings) -> Service:
    """The scoring API on this data folder's registry and warehouse (keys: GRIDFLOW_API__*)."""
    return Service(
        name="api",
        command=(sys.executable, "-m", "gridflow_cli", "api", "--port", str(settings.api_port)),
        run_dir=run_dir(settings),
        env={"GRIDFLOW_HOME": str(settings.home), "GRIDFLOW_PREFECT_API_URL": api_url(settings)},
        url=f"{settings.api_url}/docs",
        health=lambda: _answers(f"{settings.api_url}/health"),
    )


def _answers(url: str) -> bool:
    import httpx

    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def pool_ready(pool: str) -> bool:
    """True when the work pool has an online worker.

    Prefect reads its settings once, at import: the caller exports the stack's Prefect environment
    (`gridflow.prefect_env.configure_prefect`) before anything imports Prefect.
    """
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.objects import WorkPoolStatus

    try:
        with get_client(sync_client=True) as client:
            return client.read_work_pool(pool).status == WorkPoolStatus.READY
    except Exception:  # server down, pool missing: not ready, whatever the reason
        return False


def up(settings: Settings, *, pool: str, limit: int = WORKER_LIMIT,
       deploy: Callable[[], str] | None = None, echo: Callable[[str], None] = print) -> list[ServiceStatus]:
    """Start what is not running: Prefect server, (deploy), MLflow UI, worker. Idempotent."""
    from gridflow.prefect_env import configure_prefect

    if settings.prefect_api_url:
        if not prefect_server.is_healthy(settings.prefect_api_url):
            raise ConfigError(f"no Prefect API answers at {settings.prefect_api_url}")
    else:
        server = local_server(settings)
        if prefect_server.ensure_running(server):
            echo(f"started the Prefect server at {server.ui_url} (log: {server.log_file})")
    configure_prefect(settings, api_url(settings))
    if deploy is not None:
        echo(deploy())
    if embedded_mlflow(settings) and start_service(mlflow_ui_service(settings)):
        echo(f"started the MLflow UI at {settings.mlflow_ui_url}")
    if start_service(worker_service(settings, pool, limit, health=lambda: pool_ready(pool)), timeout=60):
        echo(f"started a worker on work pool {pool}")
    if start_service(api_service(settings), timeout=60):
        echo(f"started the scoring API at {settings.api_url} (docs: {settings.api_url}/docs)")
    return status(settings, pool=pool)


def down(settings: Settings) -> list[tuple[str, bool]]:
    """Stop the API, the worker, the MLflow UI and the local Prefect server; returns (name, was running)."""
    stopped = [("api", stop_service(api_service(settings))),
               ("worker", stop_service(worker_service(settings, pool=""))),
               ("mlflow-ui", stop_service(mlflow_ui_service(settings)))]
    if not settings.prefect_api_url:
        stopped.append(("prefect-server", prefect_server.stop(local_server(settings))))
    return stopped


def local_prefect_status(server: prefect_server.LocalPrefectServer) -> ServiceStatus:
    """This home's Prefect server; a port answered by a server this home did not start says whose it is."""
    pid = prefect_server.running_pid(server)
    healthy = prefect_server.is_healthy(server.api_url)
    if pid is None and port_owner.listening(server.host, server.port):
        owner = port_owner.find_owner(server.host, server.port)
        if owner.prefect_home == server.home.expanduser().resolve():  # ours, its pid file lost
            return ServiceStatus("prefect-server", owner.pid, healthy, server.ui_url, server.log_file)
        return ServiceStatus("prefect-server", None, False, server.ui_url, server.log_file,
                             f"port {server.port} is taken by {owner.describe()}: see GRIDFLOW_PREFECT_PORT")
    return ServiceStatus("prefect-server", pid, healthy, server.ui_url, server.log_file)


def status(settings: Settings, *, pool: str) -> list[ServiceStatus]:
    """Each process of the stack: pid, health, URL, log."""
    rows = []
    if settings.prefect_api_url:
        rows.append(ServiceStatus("prefect-server", None, prefect_server.is_healthy(settings.prefect_api_url),
                                  ui_url(settings), None, "external (GRIDFLOW_PREFECT_API_URL)"))
    else:
        rows.append(local_prefect_status(local_server(settings)))
    api_up = rows[0].healthy
    if embedded_mlflow(settings):
        ui = mlflow_ui_service(settings)
        rows.append(ServiceStatus(ui.name, service_pid(ui), mlflow_server.is_healthy(settings.mlflow_ui_url),
                                  ui.url, ui.log_file))
    else:
        rows.append(ServiceStatus("mlflow", None, mlflow_server.is_healthy(str(settings.mlflow_tracking_uri)),
                                  str(settings.mlflow_tracking_uri), None, "external (GRIDFLOW_MLFLOW_TRACKING_URI)"))
    worker = worker_service(settings, pool)
    pid = service_pid(worker)
    ready = api_up and pool_ready(pool)
    note = "" if ready or pid is None else f"work pool {pool} has no online worker"
    rows.append(ServiceStatus(worker.name, pid, ready and pid is not None, worker.url, worker.log_file, note))
    api = api_service(settings)
    api_pid = service_pid(api)
    rows.append(ServiceStatus(api.name, api_pid, api_pid is not None and api.health(), api.url, api.log_file))
    return rows
