"""Retry rules shared by every outside-service client: bounded backoff and `Retry-After`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Protocol

import httpx

# Statuses that may succeed when asked again; every other 4xx is a mistake that will not change.
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})


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


class HTTPStatusError(Protocol):
    """What a client's HTTP error class takes: a message plus the status, URL and attempts made."""

    def __call__(self, message: str, *, status: int, url: str, attempts: int) -> Exception: ...


def send_with_retry(
    send: Callable[[], httpx.Response],
    policy: RetryPolicy,
    wait: Callable[[float], None],
    *,
    url: str,
    service: str,
    error: HTTPStatusError,
    detail: Callable[[httpx.Response], str] = lambda response: "",
    hint: Callable[[int], str] = lambda status: "",
) -> httpx.Response:
    """One GET through `send`, retried on transport errors, 429 and 5xx with backoff or the server's
    Retry-After; any other status >= 400 raises `error` at once. Returns the first response < 400.

    `service` names the server in messages; `detail` adds what the error body says, `hint` what an
    operator should check for a status.
    """
    attempt = 0
    while True:
        attempt += 1
        try:
            response = send()
        except httpx.TransportError:
            if attempt >= policy.max_attempts:
                raise
            wait(policy.backoff(attempt))
            continue
        status = response.status_code
        if status < 400:
            return response
        if status not in RETRYABLE_STATUSES:
            raise error(f"{service} answered HTTP {status} {response.reason_phrase} for GET {url}"
                        f"{detail(response)}{hint(status)}; not retried", status=status, url=url, attempts=attempt)
        if attempt >= policy.max_attempts:
            raise error(f"{service} answered HTTP {status} for GET {url} on all {attempt} attempts"
                        f"{detail(response)}; giving up", status=status, url=url, attempts=attempt)
        delay = parse_retry_after(response.headers.get("Retry-After"))
        if delay is not None and delay > policy.max_retry_after_seconds:
            raise error(f"{service} asked to retry GET {url} after {delay:.0f} s (HTTP {status}), longer than "
                        f"the {policy.max_retry_after_seconds:.0f} s allowed", status=status, url=url, attempts=attempt)
        wait(policy.backoff(attempt) if delay is None else delay)
