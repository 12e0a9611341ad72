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

from gridflow.errors import ConfigError


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

    Refuses to reuse a server on the port that is not ours: its database would not be the one
    gridflow's settings point at.
    """
    if running_pid(server) is not None and is_healthy(server.api_url):
        return False
    if is_healthy(server.api_url):
        raise ConfigError(
            f"another Prefect server already answers on {server.api_url}; set GRIDFLOW_PREFECT_PORT "
            "to a free port or GRIDFLOW_PREFECT_API_URL to use that server"
        )
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
