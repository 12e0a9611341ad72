"""The one retry loop every client uses: hooks, retryable statuses and the standard messages."""

from __future__ import annotations

import socket
import ssl

import httpx
import pytest

from gridflow.clients.http_retry import (
    Failure,
    HttpError,
    Outcome,
    RetryPolicy,
    endpoint,
    http_errors,
    send_with_retry,
    transport_reason,
)
from gridflow.clients.rate_limit import RateLimiter
from gridflow.errors import SourceUnreachable

URL = "https://example.test/data?id=1"
POLICY = RetryPolicy(max_attempts=3, backoff_seconds=1.0)


def answers(*statuses: int, headers: dict[str, str] | None = None):
    """A `send` that answers the statuses in order, and the list of what it sent."""
    sent: list[int] = []

    def send() -> httpx.Response:
        status = statuses[len(sent)]
        sent.append(status)
        return httpx.Response(status, headers=headers, request=httpx.Request("GET", URL))

    return send, sent


def test_before_attempt_runs_before_every_try():
    send, sent = answers(503, 429, 200)
    calls, waits = [], []
    response = send_with_retry(send, POLICY, waits.append, error=http_errors("Svc", URL),
                               before_attempt=lambda: calls.append(len(sent)))
    assert response.status_code == 200 and calls == [0, 1, 2] and waits == [1.0, 2.0]


def test_rate_limiter_as_the_hook_spaces_the_tries():
    now = [0.0]
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        now[0] += seconds

    limiter = RateLimiter(30, clock=lambda: now[0], sleep=sleep)
    send, _ = answers(500, 200)
    send_with_retry(send, POLICY, sleep, error=http_errors("Svc", URL), before_attempt=limiter.wait)
    assert sleeps == [1.0, 1.0]  # the backoff, then the limiter's remaining second of its 2 s spacing


def test_a_status_outside_retryable_fails_at_once():
    send, sent = answers(501, 200)
    with pytest.raises(HttpError, match=r"^Svc answered HTTP 501 Not Implemented for GET .*; not retried$") as info:
        send_with_retry(send, POLICY, lambda s: None, error=http_errors("Svc", URL))
    assert sent == [501] and (info.value.status, info.value.url, info.value.attempts) == (501, URL, 1)
    send, sent = answers(501, 200)
    assert send_with_retry(send, POLICY, lambda s: None, error=http_errors("Svc", URL),
                           retryable={501}).status_code == 200


def test_the_error_hook_decides_the_exception():
    failures: list[Failure] = []

    def error(failure: Failure) -> Exception:
        failures.append(failure)
        return LookupError("mapped")

    send, _ = answers(429, headers={"Retry-After": "3600"})
    with pytest.raises(LookupError, match="mapped"):
        send_with_retry(send, POLICY, lambda s: None, error=error)
    [failure] = failures
    assert (failure.outcome, failure.attempts, failure.retry_after) == (Outcome.RETRY_AFTER_TOO_LONG, 1, 3600.0)


def test_transport_errors_end_in_source_unreachable_at_once_or_after_the_retries():
    tries = []

    def send() -> httpx.Response:
        tries.append(1)
        raise httpx.ConnectError("refused", request=httpx.Request("GET", URL))

    with pytest.raises(SourceUnreachable) as info:
        send_with_retry(send, POLICY, lambda s: None, error=http_errors("Svc", URL), retry_transport_errors=False,
                        service="Svc")
    assert len(tries) == 1 and info.value.attempts == 1
    # The endpoint drops the query string (it may carry a secret) and names the port.
    assert str(info.value) == "Svc unreachable at https://example.test:443/data: ConnectError: refused"
    with pytest.raises(SourceUnreachable) as info:
        send_with_retry(send, POLICY, lambda s: None, error=http_errors("Svc", URL), service="Svc")
    assert len(tries) == 1 + POLICY.max_attempts and info.value.attempts == POLICY.max_attempts
    assert isinstance(info.value.__cause__, httpx.ConnectError)


@pytest.mark.parametrize(("url", "expected"), [
    ("https://user:pw@api.example.test/v1/feed?key=secret#x", "https://api.example.test:443/v1/feed"),
    ("http://127.0.0.1:8080/a/b?x=1", "http://127.0.0.1:8080/a/b"),
    ("http://[::1]:9/p", "http://[::1]:9/p"),
])
def test_endpoint_keeps_scheme_host_port_path_only(url, expected):
    assert endpoint(url) == expected


def _wrapped(root: BaseException) -> httpx.ConnectError:
    # As httpx raises it: its error, caused by httpcore's, caused by the socket's.
    try:
        try:
            raise root
        except BaseException as inner:
            raise httpx.ConnectError(str(root)) from inner
    except httpx.ConnectError as exc:
        return exc


@pytest.mark.parametrize(("exc", "reason"), [
    (_wrapped(ConnectionRefusedError(111, "Connection refused")), "connection refused (nothing listens on that port)"),
    (_wrapped(socket.gaierror(-2, "Name or service not known")), "host name not resolved (DNS: Name or service not known)"),
    (_wrapped(ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER] wrong version number")), "TLS handshake failed ("),
    (_wrapped(ConnectionResetError(104, "Connection reset by peer")), "connection reset by the server"),
    (httpx.ConnectTimeout("timed out"), "no answer in time (connect timeout)"),
    (httpx.ReadTimeout("timed out"), "no answer in time (read timeout)"),
    (httpx.RemoteProtocolError("Server disconnected"), "the server closed the connection without a complete answer"),
])
def test_transport_reason_names_the_class_of_failure(exc, reason):
    assert transport_reason(exc).startswith(reason)
