"""Retry rules shared by every outside-service client: bounded backoff and `Retry-After`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

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
