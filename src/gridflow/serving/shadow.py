"""Shadow scoring off the request path: a small thread pool with a bounded backlog.

The request hands over a job and returns at once; when the backlog is full the request is simply
not shadowed (counted by the caller), so a slow challenger can never queue memory or delay the
champion's answers. A failing job is logged and forgotten: it never reaches a response.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

log = logging.getLogger("gridflow.serving")


class ShadowRunner:
    """Runs shadow jobs on `workers` threads, at most `max_pending` waiting or running."""

    def __init__(self, workers: int = 1, max_pending: int = 64) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="gridflow-shadow")
        self._slots = threading.BoundedSemaphore(max_pending)

    def submit(self, job: Callable[[], None]) -> bool:
        """Schedule `job` without waiting; False when the backlog is full or the runner is closed."""
        if not self._slots.acquire(blocking=False):
            return False
        try:
            self._pool.submit(self._run, job)
        except RuntimeError:  # shut down: the app is stopping
            self._slots.release()
            return False
        return True

    def close(self) -> None:
        """Finish the jobs already accepted (their rows still reach the log), then stop."""
        self._pool.shutdown(wait=True)

    def _run(self, job: Callable[[], None]) -> None:
        try:
            job()
        except Exception:  # a shadow failure is the challenger's problem, never the caller's
            log.exception("shadow scoring failed")
        finally:
            self._slots.release()
