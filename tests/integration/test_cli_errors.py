"""What a CLI user sees when something outside gridflow fails: the real `gridflow` command in a
subprocess, on the real Prefect server, ends in one `error:` line and no traceback.

- a source that cannot be reached (refused, DNS, TLS, timeout), for every client, after its retries;
- a bad input file: Prefect's console shows no traceback, the run's logs on the server keep it;
- the local Prefect server's port taken by another program or by another home's server.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from uuid import UUID

import pytest

from gridflow.replay import ReplayServer
from tests.conftest import free_port

pytestmark = pytest.mark.integration

KEY = "pjm-key-never-printed-5f1c2a"
BWI = [{"site": "BWI", "zone": "PJME", "latitude": 39.1754, "longitude": -76.6683, "station": "KBWI"}]
# Small retry budgets and a short request timeout keep each failing command short; the timeout
# case's server never answers, so any timeout ends the same way.
FAST_FAILURE = {
    "PJM_API_KEY": KEY,
    "GRIDFLOW_HTTP_TIMEOUT_SECONDS": "2",
    "GRIDFLOW_ERCOT__MAX_ATTEMPTS": "2",
    "GRIDFLOW_ERCOT__BACKOFF_SECONDS": "0",
    "GRIDFLOW_STORM__MAX_ATTEMPTS": "2",
    "GRIDFLOW_STORM__BACKOFF_SECONDS": "0",
    "GRIDFLOW_WEATHER__MAX_ATTEMPTS": "2",
    "GRIDFLOW_WEATHER__BACKOFF_SECONDS": "0",
    "GRIDFLOW_WEATHER__SITES": json.dumps(BWI),
}

# client: (command with {base} for the base URL, service named, path the endpoint ends with)
CLIENTS = {
    "pjm": (["ingest", "pjm", "--zone", "AE", "--start", "2023-10-29", "--end", "2023-10-30",
             "--base-url", "{base}/api/v1", "--requests-per-minute", "6000"],
            "PJM Data Miner API", "/api/v1/hrl_load_metered"),
    "ercot": (["ingest", "ercot", "--base-url", "{base}"], "ERCOT MIS", "/misapp/servlets/IceDocListJsonWS"),
    "nws-alerts": (["alerts", "poll", "--area", "TX", "--base-url", "{base}"], "NWS API", "/alerts/active"),
    "nws-weather": (["ingest", "weather", "--base-url", "{base}"], "NWS API", "/points/39.1754,-76.6683"),
}
REASONS = {
    "refused": "connection refused",
    "dns": "host name not resolved (DNS",
    "tls": "TLS handshake failed",
    "timeout": "no answer in time (read timeout)",
}
# The command (PJM) against every class of failure; each other client against two of them
# (tests/unit/clients/test_unreachable.py runs every client against every class without Prefect).
CASES = [("pjm", kind) for kind in REASONS] + [
    ("ercot", "refused"), ("ercot", "timeout"),
    ("nws-alerts", "dns"), ("nws-alerts", "tls"),
    ("nws-weather", "refused"), ("nws-weather", "timeout"),
]


def gridflow(args: list[str], env: dict[str, str], cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess:
    """The real `gridflow` command line in a subprocess."""
    return subprocess.run([sys.executable, "-m", "gridflow_cli", *args], env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=timeout)


def error_lines(result: subprocess.CompletedProcess) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("error:")]


def assert_one_error_line(result: subprocess.CompletedProcess) -> str:
    """Exit code != 0, exactly one `error:` line on stderr, no traceback anywhere; returns the line."""
    shown = f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert result.returncode != 0, shown
    assert "Traceback" not in result.stdout + result.stderr, shown
    lines = error_lines(result)
    assert len(lines) == 1, shown
    return lines[0]


@pytest.fixture(scope="module")
def plain_http() -> Iterator[ReplayServer]:
    """A plain-HTTP server: an https:// URL to it fails the TLS handshake."""
    with ReplayServer() as server:
        yield server


@pytest.fixture(scope="module")
def silent_port() -> Iterator[int]:
    """A port that accepts connections (the kernel's backlog) and never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(64)
        yield sock.getsockname()[1]


def base_url(kind: str, plain_http: ReplayServer, silent_port: int) -> tuple[str, str]:
    """(base URL to give the command, how the error names its scheme://host:port)."""
    if kind == "refused":
        port = free_port()
        return f"http://127.0.0.1:{port}", f"http://127.0.0.1:{port}"
    if kind == "dns":
        return "http://gridflow-test.invalid", "http://gridflow-test.invalid:80"
    if kind == "tls":
        port = int(plain_http.base_url.rsplit(":", 1)[1])
        return f"https://127.0.0.1:{port}", f"https://127.0.0.1:{port}"
    return f"http://127.0.0.1:{silent_port}", f"http://127.0.0.1:{silent_port}"


@pytest.mark.parametrize(("client", "kind"), CASES, ids=[f"{c}-{k}" for c, k in CASES])
def test_an_unreachable_source_ends_in_one_error_line_naming_the_endpoint(client, kind, gridflow_env, tmp_path,
                                                                          plain_http, silent_port):
    command, service, path = CLIENTS[client]
    base, where = base_url(kind, plain_http, silent_port)
    env = {**os.environ, **gridflow_env, **FAST_FAILURE}
    result = gridflow([part.replace("{base}", base) for part in command], env, tmp_path)
    line = assert_one_error_line(result)
    assert f"{service} unreachable at {where}{path}: {REASONS[kind]}" in line, line
    assert KEY not in result.stdout + result.stderr
    if client != "nws-weather":  # weather ends with its per-site summary, the endpoint inside it
        assert "?" not in line  # no query string: it may carry a secret


def _flow_run_id(output: str) -> UUID:
    match = re.search(r"/runs/flow-run/([0-9a-f-]{36})", output)
    assert match, output
    return UUID(match.group(1))


def _run_logs(flow_run_id: UUID) -> list[str]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId

    with get_client(sync_client=True) as client:
        logs = client.read_logs(LogFilter(flow_run_id=LogFilterFlowRunId(any_=[flow_run_id])))
    return [log.message for log in logs]


def test_a_bad_file_shows_one_line_on_the_console_and_the_traceback_in_the_run_logs(gridflow_env, tmp_path):
    bad = tmp_path / "PJME_missing_column.csv"
    bad.write_text("Datetime\n2018-01-01 00:00:00\n2018-01-01 01:00:00\n")
    result = gridflow(["ingest", "pjm", "--file", str(bad)], {**os.environ, **gridflow_env}, tmp_path)
    line = assert_one_error_line(result)
    assert "missing column" in line, line
    # The console still shows the run's own lines (where it failed), only without tracebacks.
    assert "Task run failed" in result.stderr or "Finished in state Failed" in result.stderr, result.stderr
    run_id = _flow_run_id(result.stdout + result.stderr)
    deadline = time.monotonic() + 120  # the API log handler ships in batches
    while True:
        messages = _run_logs(run_id)
        with_traceback = [m for m in messages if "Traceback (most recent call last)" in m and "ParseError" in m]
        if with_traceback or time.monotonic() > deadline:
            break
        time.sleep(2)
    assert with_traceback, messages


def _without_api(env: dict[str, str], home: Path, port: int) -> dict[str, str]:
    """An environment whose gridflow home runs its own local Prefect server on `port`."""
    clean = {k: v for k, v in {**os.environ, **env}.items()
             if k not in ("GRIDFLOW_PREFECT_API_URL", "PREFECT_API_URL")}
    return {**clean, "GRIDFLOW_HOME": str(home), "GRIDFLOW_PREFECT_PORT": str(port)}


def test_a_port_held_by_another_program_is_named_with_what_to_set(gridflow_env, tmp_path):
    with socket.socket() as sock:  # a plain socket server: accepts, never speaks HTTP
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        port = sock.getsockname()[1]
        env = _without_api(gridflow_env, tmp_path / "home", port)
        results = [gridflow(["server", "start"], env, tmp_path),
                   gridflow(["ingest", "meters", "--folder", str(tmp_path)], env, tmp_path)]
    for result in results:
        line = assert_one_error_line(result)
        assert line.startswith(f"error: port {port} on 127.0.0.1 is taken by something that is not a Prefect "
                               f"server (pid {os.getpid()}: "), line
        assert "set GRIDFLOW_PREFECT_PORT to a free port" in line, line
    assert not (tmp_path / "home" / "prefect" / "server.pid").exists()


def test_another_homes_prefect_server_is_named_and_this_homes_is_used(gridflow_env, prefect_server, tmp_path,
                                                                      tmp_path_factory):
    port = int(prefect_server.rsplit(":", 1)[1].split("/")[0])
    # The session's server is another gridflow home's as far as this one is concerned.
    other_home = next(tmp_path_factory.getbasetemp().glob("prefect-server*")).resolve()
    result = gridflow(["server", "start"], _without_api(gridflow_env, tmp_path / "home", port), tmp_path)
    line = assert_one_error_line(result)
    assert re.search(rf"is taken by a Prefect \d+\.\d+\.\d+\S* server \(PREFECT_HOME {re.escape(str(other_home))}, "
                     r"pid \d+", line), line
    assert f"GRIDFLOW_PREFECT_API_URL={prefect_server}" in line and "GRIDFLOW_PREFECT_PORT" in line, line

    # A home whose Prefect folder is that server's own: the server that answers is used, not refused.
    ours = tmp_path / "same-home"
    ours.mkdir()
    (ours / "prefect").symlink_to(other_home)
    result = gridflow(["server", "start"], _without_api(gridflow_env, ours, port), tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Prefect UI at http://127.0.0.1:{port}" in result.stdout and "started" not in result.stdout
