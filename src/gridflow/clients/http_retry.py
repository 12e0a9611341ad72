"""Retry rules shared by every outside-service client: bounded backoff, `Retry-After`, one error
type for answers (`HttpError`) and one for a service that cannot be reached (`SourceUnreachable`)."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import Enum

import httpx

from gridflow.errors import GridflowError, SourceUnreachable

# Statuses that may succeed when asked again; every other 4xx is a mistake that will not change.
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})


class HttpError(GridflowError):
    """An outside service answered with an error status (or kept failing); `status`, `url` say which.

    `url` never carries a secret: the clients send keys in headers only.
    """

    def __init__(self, message: str, *, status: int | None, url: str, attempts: int = 1) -> None:
        self.status = status
        self.url = url
        self.attempts = attempts
        super().__init__(message)


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded retries: delay `backoff_seconds * 2**(n-1)` capped at `max_delay_seconds`, or Retry-After."""

    max_attempts: int = 5
    backoff_seconds: float = 1.0
    max_delay_seconds: float = 60.0
    # A Retry-After longer than this fails the request instead of blocking a worker for hours.
    max_retry_after_seconds: float = 300.0

    def backoff(self, attempt: int) -> float:
        """Delay before retry number `attempt` (1-based) when the server gave no Retry-After."""
        return min(self.backoff_seconds * 2 ** (attempt - 1), self.max_delay_seconds)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP date); None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class Outcome(Enum):
    """Why `send_with_retry` gave up on a request."""

    REJECTED = "rejected"  # a status retrying cannot fix
    EXHAUSTED = "exhausted"  # still a retryable status after the last attempt
    RETRY_AFTER_TOO_LONG = "retry_after_too_long"  # the server asked for a longer wait than allowed


@dataclass(frozen=True)
class Failure:
    """The last answer of a request `send_with_retry` gave up on, for the client to turn into its error."""

    outcome: Outcome
    response: httpx.Response
    attempts: int
    policy: RetryPolicy
    retry_after: float | None = None  # seconds, for RETRY_AFTER_TOO_LONG


def http_errors(
    service: str,
    url: str,
    *,
    detail: Callable[[httpx.Response], str] = lambda response: "",
    hint: Callable[[int], str] = lambda status: "",
) -> Callable[[Failure], HttpError]:
    """The standard `HttpError` for a failure of GET `url`: `service` names the server in the message,
    `detail` adds what the error body says and `hint` what an operator should check for a status."""

    def error(failure: Failure) -> HttpError:
        response, attempts = failure.response, failure.attempts
        status = response.status_code
        if failure.outcome is Outcome.REJECTED:
            message = (f"{service} answered HTTP {status} {response.reason_phrase} for GET {url}"
                       f"{detail(response)}{hint(status)}; not retried")
        elif failure.outcome is Outcome.EXHAUSTED:
            message = (f"{service} answered HTTP {status} for GET {url} on all {attempts} attempts"
                       f"{detail(response)}; giving up")
        else:
            message = (f"{service} asked to retry GET {url} after {failure.retry_after:.0f} s (HTTP {status}), "
                       f"longer than the {failure.policy.max_retry_after_seconds:.0f} s allowed")
        return HttpError(message, status=status, url=url, attempts=attempts)

    return error


def send_with_retry(
    send: Callable[[], httpx.Response],
    policy: RetryPolicy,
    wait: Callable[[float], None],
    *,
    error: Callable[[Failure], Exception],
    before_attempt: Callable[[], None] | None = None,
    retryable: Collection[int] = RETRYABLE_STATUSES,
    retry_transport_errors: bool = True,
    service: str = "the remote service",
) -> httpx.Response:
    """One request through `send`, retried on `retryable` statuses (and transport errors) with backoff
    or the server's Retry-After; any other status >= 400 raises `error(failure)` at once.

    Returns the first response < 400. `before_attempt` runs before every try (a rate limiter). A
    transport error (refused, DNS, TLS, timeout) still failing after the last attempt (or at once
    without `retry_transport_errors`) raises `SourceUnreachable` naming `service` and the endpoint;
    the task layer still retries it as transient.
    """
    attempt = 0
    while True:
        attempt += 1
        if before_attempt is not None:
            before_attempt()
        try:
            response = send()
        except httpx.TransportError as exc:
            if not retry_transport_errors or attempt >= policy.max_attempts:
                raise unreachable(service, exc, attempt) from exc
            wait(policy.backoff(attempt))
            continue
        status = response.status_code
        if status < 400:
            return response
        if status not in retryable:
            raise error(Failure(Outcome.REJECTED, response, attempt, policy))
        if attempt >= policy.max_attempts:
            raise error(Failure(Outcome.EXHAUSTED, response, attempt, policy))
        delay = parse_retry_after(response.headers.get("Retry-After"))
        if delay is not None and delay > policy.max_retry_after_seconds:
            raise error(Failure(Outcome.RETRY_AFTER_TOO_LONG, response, attempt, policy, delay))
        wait(policy.backoff(attempt) if delay is None else delay)


def endpoint(url: httpx.URL | str) -> str:
    """``scheme://host:port/path`` of `url`: no credentials, query or fragment (they may hold secrets)."""
    parsed = httpx.URL(str(url))
    port = parsed.port or {"http": 80, "https": 443}.get(parsed.scheme)
    host = f"[{parsed.host}]" if ":" in parsed.host else parsed.host
    return f"{parsed.scheme}://{host}{f':{port}' if port else ''}{parsed.path}"


def transport_reason(exc: BaseException) -> str:
    """What a transport error means in words: refused, name not resolved, TLS failed, timed out."""
    if isinstance(exc, httpx.TimeoutException):
        phase = type(exc).__name__.removesuffix("Timeout").lower() or "request"
        return f"no answer in time ({phase} timeout)"
    for cause in _causes(exc):
        if isinstance(cause, socket.gaierror):
            return f"host name not resolved (DNS: {_strip_errno(cause)})"
        if isinstance(cause, ssl.SSLCertVerificationError):
            return f"TLS certificate not accepted ({cause.verify_message or _strip_errno(cause)})"
        if isinstance(cause, ssl.SSLError):
            return f"TLS handshake failed ({getattr(cause, 'reason', None) or _strip_errno(cause)})"
        if isinstance(cause, ConnectionRefusedError):
            return "connection refused (nothing listens on that port)"
        if isinstance(cause, ConnectionResetError):
            return "connection reset by the server"
    if isinstance(exc, httpx.RemoteProtocolError):
        return "the server closed the connection without a complete answer"
    return f"{type(exc).__name__}: {_strip_errno(exc)}"


def unreachable(service: str, exc: httpx.TransportError, attempts: int) -> SourceUnreachable:
    """The `SourceUnreachable` for a transport error of `service`, naming the endpoint it asked."""
    try:
        where = endpoint(exc.request.url)
    except RuntimeError:  # an error raised without its request: nothing safe to name but the service
        where = "(unknown endpoint)"
    return SourceUnreachable(service, where, transport_reason(exc), attempts)


def _causes(exc: BaseException) -> list[BaseException]:
    # httpx wraps httpcore's error, which wraps the socket's: the root says what happened.
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def _strip_errno(exc: BaseException) -> str:
    text = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    return " ".join(text.split()) or type(exc).__name__
