"""Every outside-service client, against real local sockets that refuse, do not resolve, speak plain
HTTP to TLS, or never answer: after its retries each raises one `SourceUnreachable` line naming
the endpoint (scheme://host:port/path, no query, no key), which the task layer retries."""

from __future__ import annotations

import pickle
import socket
from collections.abc import Callable, Iterator
from datetime import datetime

import pytest

from gridflow.clients.ercot_mis import ErcotMISClient
from gridflow.clients.http_retry import RetryPolicy
from gridflow.clients.nws import NwsClient
from gridflow.clients.nws_weather import NwsWeatherClient
from gridflow.clients.pjm_dataminer import PJMDataMinerClient
from gridflow.errors import SourceUnreachable
from gridflow.replay import ReplayServer
from gridflow.transient import is_transient
from tests.conftest import free_port

KEY = "sk-test-unreachable-0123456789"
UA = "gridflow-test/1.0 (ops@utility.example)"
RETRY = RetryPolicy(max_attempts=2, backoff_seconds=0.0)
# The never-answering server is silent for ever, so any timeout ends the same way; a short one keeps the test short.
TIMEOUT = 0.5


@pytest.fixture(scope="module")
def plain_http() -> Iterator[ReplayServer]:
    with ReplayServer() as server:
        yield server


@pytest.fixture(scope="module")
def silent() -> Iterator[int]:
    """A port that accepts connections (the kernel's backlog) and never answers a request."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(64)
        yield sock.getsockname()[1]


@pytest.fixture
def base(request, plain_http, silent) -> tuple[str, str, str]:
    """(base URL, expected endpoint prefix, expected reason start) for the failure class of the test."""
    kind = request.param
    if kind == "refused":
        port = free_port()
        return f"http://127.0.0.1:{port}", f"http://127.0.0.1:{port}", "connection refused"
    if kind == "dns":
        return "http://gridflow-test.invalid", "http://gridflow-test.invalid:80", "host name not resolved (DNS"
    if kind == "tls":
        port = int(plain_http.base_url.rsplit(":", 1)[1])
        return f"https://127.0.0.1:{port}", f"https://127.0.0.1:{port}", "TLS handshake failed"
    return f"http://127.0.0.1:{silent}", f"http://127.0.0.1:{silent}", "no answer in time (read timeout)"


def _pjm(url: str) -> None:
    with PJMDataMinerClient(KEY, f"{url}/api/v1", requests_per_minute=None, timeout_seconds=TIMEOUT,
                            retry=RETRY) as client:
        list(client.fetch("hrl_load_metered", datetime(2023, 11, 5), datetime(2023, 11, 6)))


def _ercot(url: str) -> None:
    with ErcotMISClient(url, retry=RETRY, timeout=TIMEOUT, sleep=lambda s: None) as client:
        client.list_documents(12331)


def _nws_alerts(url: str) -> None:
    with NwsClient(url, user_agent=UA, retry=RETRY, timeout=TIMEOUT, sleep=lambda s: None) as client:
        client.active_alerts(["TX"])


def _nws_weather(url: str) -> None:
    with NwsWeatherClient(url, user_agent=UA, retry=RETRY, timeout=TIMEOUT, sleep=lambda s: None) as client:
        client.points(39.1754, -76.6683)


CLIENTS: dict[str, tuple[Callable[[str], None], str, str, int]] = {
    # call, service named, path asked, attempts (PJM leaves connection retries to the task layer)
    "pjm": (_pjm, "PJM Data Miner API", "/api/v1/hrl_load_metered", 1),
    "ercot": (_ercot, "ERCOT MIS", "/misapp/servlets/IceDocListJsonWS", RETRY.max_attempts),
    "nws-alerts": (_nws_alerts, "NWS API", "/alerts/active", RETRY.max_attempts),
    "nws-weather": (_nws_weather, "NWS API", "/points/39.1754,-76.6683", RETRY.max_attempts),
}


@pytest.mark.parametrize("base", ["refused", "dns", "tls", "timeout"], indirect=True)
@pytest.mark.parametrize("client", list(CLIENTS))
def test_unreachable_source_is_one_line_naming_the_endpoint(client, base):
    call, service, path, attempts = CLIENTS[client]
    url, endpoint, reason = base
    with pytest.raises(SourceUnreachable) as info:
        call(url)
    error = info.value
    assert str(error).startswith(f"{service} unreachable at {endpoint}{path}: {reason}"), str(error)
    assert "\n" not in str(error) and "?" not in str(error) and KEY not in str(error)
    assert (error.endpoint, error.attempts) == (f"{endpoint}{path}", attempts)
    assert is_transient(error)  # the task layer's retries still apply
    assert str(pickle.loads(pickle.dumps(error))) == str(error)  # Prefect stores a failed task's exception
