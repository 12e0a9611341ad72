"""Who holds a local TCP port: the listening process (when this user may see it), and whether it is
a Prefect server, which version and which PREFECT_HOME it serves."""

from __future__ import annotations

import contextlib
import socket
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil


@dataclass(frozen=True)
class PortOwner:
    """What answers on `host:port`; unknown facts are None."""

    host: str
    port: int
    pid: int | None = None
    command: str | None = None
    prefect_version: str | None = None  # set when a Prefect API answers its health check there
    prefect_home: Path | None = None  # PREFECT_HOME of the listening process, when readable

    @property
    def is_prefect(self) -> bool:
        """True when a Prefect API answers on the port."""
        return self.prefect_version is not None

    def describe(self) -> str:
        """E.g. `a Prefect 3.8.8 server (PREFECT_HOME /srv/a/prefect, pid 41)` or `something that is not a
        Prefect server (pid 7: python -m http.server)`."""
        process = f"pid {self.pid}" if self.pid else "process not visible to this user"
        if self.command:
            process += f": {self.command}"
        if not self.is_prefect:
            return f"something that is not a Prefect server ({process})"
        home = f"PREFECT_HOME {self.prefect_home}" if self.prefect_home else "PREFECT_HOME unknown"
        return f"a Prefect {self.prefect_version} server ({home}, {process})"


def listening(host: str, port: int, timeout: float = 2.0) -> bool:
    """True when something accepts TCP connections on `host:port`."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        return sock.connect_ex((host, port)) == 0


def free_port_near(host: str, port: int, span: int = 50) -> int | None:
    """The first port after `port` (within `span`) that nothing listens on and this process could bind."""
    for candidate in range(port + 1, min(port + 1 + span, 65536)):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind((host, candidate))
            except OSError:
                continue
        if not listening(host, candidate, timeout=0.5):
            return candidate
    return None


def find_owner(host: str, port: int) -> PortOwner:
    """What holds `host:port`: the process that listens and, if it is a Prefect server, its version and home."""
    pid = _listening_pid(port)
    command = home = None
    if pid is not None:
        with contextlib.suppress(psutil.Error):
            process = psutil.Process(pid)
            command = " ".join(process.cmdline())[:120] or process.name()
            value = process.environ().get("PREFECT_HOME")
            home = Path(value).expanduser().resolve() if value else None
    return PortOwner(host, port, pid, command, prefect_version(f"http://{host}:{port}/api"), home)


def prefect_version(api_url: str, timeout: float = 3.0) -> str | None:
    """The server version when a Prefect API answers at `api_url` (`/health` true, `/admin/version`), else None."""
    try:
        with httpx.Client(timeout=timeout) as client:
            health = client.get(f"{api_url}/health")
            if health.status_code != 200 or health.json() is not True:
                return None
            version = client.get(f"{api_url}/admin/version")
            return str(version.json()) if version.status_code == 200 else "(version unknown)"
    except (httpx.HTTPError, ValueError):
        return None


def _listening_pid(port: int) -> int | None:
    try:
        for conn in psutil.net_connections(kind="tcp"):
            if _listens_on(conn, port) and conn.pid:
                return conn.pid
        return None
    except psutil.AccessDenied:  # macOS: without root, only each process's own sockets are visible
        pass
    for process in psutil.process_iter():
        with contextlib.suppress(psutil.Error):
            if any(_listens_on(conn, port) for conn in process.net_connections(kind="tcp")):
                return process.pid
    return None


def _listens_on(conn: object, port: int) -> bool:
    laddr = getattr(conn, "laddr", None)
    return getattr(conn, "status", None) == psutil.CONN_LISTEN and bool(laddr) and laddr.port == port
