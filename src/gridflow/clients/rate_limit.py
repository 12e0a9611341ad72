"""Client-side rate limiting: space requests to an outside service evenly in time."""

from __future__ import annotations

import time
from collections.abc import Callable


class RateLimiter:
    """Spaces requests at least ``60 / requests_per_minute`` seconds apart (None/0 disables it)."""

    def __init__(self, requests_per_minute: float | None,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.interval = 60.0 / requests_per_minute if requests_per_minute else 0.0
        self._clock = clock
        self._sleep = sleep
        self._last: float | None = None

    def wait(self) -> float:
        """Block until the next request may go out; returns the seconds waited."""
        waited = 0.0
        if self.interval and self._last is not None:
            waited = max(0.0, self._last + self.interval - self._clock())
            if waited > 0:
                self._sleep(waited)
        self._last = self._clock()
        return waited
