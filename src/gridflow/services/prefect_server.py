"""Start, find and stop the local Prefect server that the embedded default stack uses."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from gridflow.errors import ConfigError, PortInUse
from gridflow.services import port_owner


@dataclass(frozen=True)
class LocalPrefectServer:
    """Where a local Prefect server keeps its state and where it listens."""

    home: Path
    port: int
    host: str = "127.0.0.1"

    @property
    def api_url(self) -> str:
        """The API URL clients use (`PREFECT_API_URL`)."""
        return f"http://{self.host}:{self.port}/api"

    @property
    def ui_url(self) -> str:
        """The dashboard URL."""
        return f"http://{self.host}:{self.port}"

    @property
    def pid_file(self) -> Path:
        """File holding the server's process id."""
        return self.home / "server.pid"

    @property
    def log_file(self) -> Path:
        """The server's combined stdout and stderr."""
        return self.home / "server.log"

    def server_env(self) -> dict[str, str]:
        """Environment of the server process: its own home, no telemetry."""
        env = dict(os.environ)
        env.pop("PREFECT_API_URL", None)
        env.update(
            PREFECT_HOME=str(self.home),
            # Telemetry on a SQLite server logs 'database is locked' tracebacks.
            PREFECT_SERVER_ANALYTICS_ENABLED="false",
            PREFECT_SERVER_API_HOST=self.host,
            PREFECT_SERVER_API_PORT=str(self.port),
            PREFECT_UI_API_URL=self.api_url,
        )
        return env


def is_healthy(api_url: str, timeout: float = 2.0) -> bool:
    """True when a Prefect API answers its health check at `api_url`."""
    try:
        with urllib.request.urlopen(f"{api_url}/health", timeout=timeout) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False


def running_pid(server: LocalPrefectServer) -> int | None:
    """The pid recorded for this server if that process is still alive."""
    try:
        pid = int(server.pid_file.read_text().strip())
    except (OSError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except OSError:
        return None
    return pid


def ensure_running(server: LocalPrefectServer, timeout: float = 90.0) -> bool:
    """Start the server unless ours already answers; returns True if this call started it.

    A Prefect server of this home that lost its pid file is adopted. Anything else on the port
    (another home's server, another program) raises `PortInUse` saying what it is and what to
    set: its database would not be the one gridflow's settings point at.
    """
    pid = running_pid(server)
    if pid is not None and is_healthy(server.api_url):
        return False
    if port_owner.listening(server.host, server.port):
        owner = port_owner.find_owner(server.host, server.port)
        if owner.pid is not None and owner.prefect_home == server.home.expanduser().resolve():
            # Ours: a server this home started whose pid file was lost, or one still starting.
            if pid is None:
                server.pid_file.write_text(str(owner.pid))  # so `gridflow down` can stop it
            if _wait_healthy(server.api_url, timeout):
                return False
            raise ConfigError(f"this home's Prefect server (pid {owner.pid}) holds {server.api_url} but does not "
                              f"answer its health check; see {server.log_file}")
        raise PortInUse(port_taken_message(server, owner, port_owner.free_port_near(server.host, server.port)))
    server.home.mkdir(parents=True, exist_ok=True)
    log = open(server.log_file, "ab")  # noqa: SIM115 - handed to the detached child
    process = subprocess.Popen(
        [sys.executable, "-m", "prefect", "server", "start", "--host", server.host,
         "--port", str(server.port)],
        env=server.server_env(),
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,  # outlives the CLI so the UI stays up after the demo
    )
    server.pid_file.write_text(str(process.pid))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ConfigError(
                f"the Prefect server exited with code {process.returncode}; see {server.log_file}"
            )
        if is_healthy(server.api_url):
            return True
        time.sleep(0.5)
    stop(server)
    raise ConfigError(f"the Prefect server did not answer within {timeout:.0f} s; see {server.log_file}")


def _wait_healthy(api_url: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not is_healthy(api_url):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.5)
    return True


def port_taken_message(server: LocalPrefectServer, owner: port_owner.PortOwner, free: int | None) -> str:
    """What holds the server's port and what to set instead, on one line."""
    where = f"port {server.port} on {server.host}"
    choose = (f"set GRIDFLOW_PREFECT_PORT to a free port ({free} is free)" if free
              else "set GRIDFLOW_PREFECT_PORT to a free port")
    if owner.is_prefect:
        return (f"{where} is taken by {owner.describe()}, not this gridflow home's (PREFECT_HOME {server.home}): "
                f"{choose} to start this home's own, or GRIDFLOW_PREFECT_API_URL={server.api_url} to use "
                "that server and its database")
    return f"{where} is taken by {owner.describe()}: {choose}, or stop that program"


def stop(server: LocalPrefectServer, timeout: float = 20.0) -> bool:
    """Stop the server started by `ensure_running`; returns False if none was running."""
    pid = running_pid(server)
    if pid is None:
        server.pid_file.unlink(missing_ok=True)
        return False
    try:
        os.killpg(pid, signal.SIGTERM)
    except OSError:
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and running_pid(server) is not None:
        time.sleep(0.2)
    if running_pid(server) is not None:
        os.killpg(pid, signal.SIGKILL)
    server.pid_file.unlink(missing_ok=True)
    return True
