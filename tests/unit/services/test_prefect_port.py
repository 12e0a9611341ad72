"""The local Prefect server's port taken by someone else: what holds it is named, and what to set;
a server of this very home is adopted. Stand-ins are real processes listening on real ports: a
plain HTTP server, and a tiny server answering Prefect's health and version routes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from gridflow.errors import PortInUse
from gridflow.services import port_owner, prefect_server
from gridflow.services.prefect_server import LocalPrefectServer
from tests.conftest import free_port

# Answers like a Prefect API: /api/health -> true, /api/admin/version -> "3.8.8"; 404 elsewhere.
FAKE_PREFECT = """
import http.server, json, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = {"/api/health": True, "/api/admin/version": "3.8.8"}.get(self.path)
        self.send_response(404 if body is None else 200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        if body is not None:
            self.wfile.write(json.dumps(body).encode())
    def log_message(self, *args):
        pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
"""


@contextmanager
def listening(command: list[str], port: int, env: dict[str, str] | None = None) -> Iterator[subprocess.Popen]:
    process = subprocess.Popen(command, env={**os.environ, **(env or {})}, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while not port_owner.listening("127.0.0.1", port):
            assert process.poll() is None and time.monotonic() < deadline, "stand-in server did not start"
            time.sleep(0.1)
        yield process
    finally:
        process.kill()
        process.wait(timeout=10)


def test_a_program_that_is_not_prefect_is_named_with_what_to_set(tmp_path):
    port = free_port()
    server = LocalPrefectServer(home=tmp_path / "prefect", port=port)
    with listening([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"], port) as process:
        owner = port_owner.find_owner("127.0.0.1", port)
        assert (owner.is_prefect, owner.pid) == (False, process.pid) and "http.server" in owner.command
        with pytest.raises(PortInUse) as info:
            prefect_server.ensure_running(server, timeout=10)
    message = str(info.value)
    assert message.startswith(f"port {port} on 127.0.0.1 is taken by something that is not a Prefect server "
                              f"(pid {process.pid}: ")
    assert "set GRIDFLOW_PREFECT_PORT to a free port (" in message and "\n" not in message
    assert not server.pid_file.exists()  # nothing was started


def test_another_homes_prefect_server_is_named_with_its_home_and_version(tmp_path):
    port = free_port()
    other_home = (tmp_path / "other" / "prefect").resolve()
    server = LocalPrefectServer(home=tmp_path / "mine" / "prefect", port=port)
    fake = [sys.executable, "-c", FAKE_PREFECT, str(port)]
    with listening(fake, port, {"PREFECT_HOME": str(other_home)}) as process, pytest.raises(PortInUse) as info:
        prefect_server.ensure_running(server, timeout=10)
    message = str(info.value)
    assert f"is taken by a Prefect 3.8.8 server (PREFECT_HOME {other_home}, pid {process.pid}: " in message
    assert f"not this gridflow home's (PREFECT_HOME {server.home})" in message
    assert "GRIDFLOW_PREFECT_PORT" in message and f"GRIDFLOW_PREFECT_API_URL={server.api_url}" in message


def test_this_homes_server_without_its_pid_file_is_adopted(tmp_path):
    port = free_port()
    home = (tmp_path / "prefect").resolve()
    home.mkdir()
    server = LocalPrefectServer(home=home, port=port)
    with listening([sys.executable, "-c", FAKE_PREFECT, str(port)], port, {"PREFECT_HOME": str(home)}) as process:
        assert prefect_server.ensure_running(server, timeout=10) is False  # used, not started
        assert server.pid_file.read_text() == str(process.pid)  # `gridflow down` can stop it
        assert prefect_server.running_pid(server) == process.pid


def test_free_port_near_skips_a_taken_port():
    port = free_port()
    with listening([sys.executable, "-m", "http.server", str(port + 1), "--bind", "127.0.0.1"], port + 1):
        free = port_owner.free_port_near("127.0.0.1", port)
    assert free is not None and free > port + 1


def test_describe_when_the_process_is_not_visible():
    owner = port_owner.PortOwner("127.0.0.1", 4200, prefect_version="3.8.8")
    assert owner.describe() == "a Prefect 3.8.8 server (PREFECT_HOME unknown, process not visible to this user)"


def test_status_says_whose_server_holds_the_port(tmp_path):
    from gridflow.config import Settings
    from gridflow.services import stack

    port = free_port()
    settings = Settings(home=tmp_path, prefect_port=port, mlflow_ui_port=free_port(), api_port=free_port())
    with listening([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"], port) as process:
        row = stack.status(settings, pool="gridflow-process")[0]
    assert (row.name, row.state, row.pid) == ("prefect-server", "stopped", None)
    assert row.note.startswith(f"port {port} is taken by something that is not a Prefect server (pid {process.pid}")
