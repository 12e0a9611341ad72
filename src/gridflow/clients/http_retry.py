"""Retry rules shared by every outside-service client: bounded backoff, `Retry-After`, one error type."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import Enum

import httpx

from gridflow.errors import GridflowError

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
) -> httpx.Response:
    """One request through `send`, retried on `retryable` statuses (and transport errors) with backoff
    or the server's Retry-After; any other status >= 400 raises `error(failure)` at once.

    Returns the first response < 400. `before_attempt` runs before every try (a rate limiter);
    transport errors are re-raised unchanged after the last attempt so callers still see them as
    transient.
    """
    attempt = 0
    while True:
        attempt += 1
        if before_attempt is not None:
            before_attempt()
        try:
            response = send()
        except httpx.TransportError:
            if not retry_transport_errors or attempt >= policy.max_attempts:
                raise
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
