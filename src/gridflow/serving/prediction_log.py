"""The prediction log: every answer the API computed (both arms), written to the warehouse's
`prediction_log` in batches by a background thread, never on the request path.

A request only appends one `ArmAnswer` (O(1)); the writer turns answers into rows (digests,
JSON) and writes every `batch_rows` rows or `flush_seconds`, whichever comes first, and once
more when the app shuts down. The queue is bounded in rows: when the warehouse is slower than the
traffic, new answers are dropped and counted (a warning says so), the request is never blocked.
A failed write is retried with the same rows; the table ignores a row already written (same
request id, arm and row), so a retry adds nothing.
"""

from __future__ import annotations

import hashlib
import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

import orjson

log = logging.getLogger("gridflow.serving")

Writer = Callable[[list[dict[str, Any]]], Any]
Counter = Callable[[str, int], None]  # (outcome, rows): written | dropped_queue_full | dropped_write_failed


@dataclass
class RequestRows:
    """A request's rows as the model scores them (a key column that is no model input taken out),
    shared by the arms that score them."""

    request_id: str
    rows: list[dict[str, Any]]
    keys: list[str | None]  # each row's key value (None without one)
    request_key: str | None
    client: str | None

    @cached_property
    def digests(self) -> list[str]:
        """sha256 of each row's canonical JSON (sorted keys, compact): equal inputs, equal digests."""
        return [input_digest(row) for row in self.rows]


@dataclass(frozen=True)
class ArmAnswer:
    """One arm's predictions for one request: what the log records, row by row."""

    request: RequestRows
    arm: str
    mode: str
    returned: bool
    model_name: str
    model_version: str
    predictions: list[Any]
    latency_ms: float  # the model's scoring time for the whole request
    logged_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def size(self) -> int:
        """Rows this answer adds to the log."""
        return len(self.predictions)


def input_digest(row: dict[str, Any]) -> str:
    """sha256 hex of a row's canonical JSON (sorted keys, compact; orjson, ~7x the standard
    library's speed, because the log writer shares the GIL with the requests)."""
    return hashlib.sha256(orjson.dumps(row, option=orjson.OPT_SORT_KEYS, default=str)).hexdigest()


def scalar(value: Any) -> float | None:
    """A prediction as a float when it is one finite number, else None (kept in the JSON only)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def log_rows(answer: ArmAnswer) -> list[dict[str, Any]]:
    """The `prediction_log` rows of one answer: a row per scored input row."""
    request = answer.request
    digests = request.digests
    return [{
        "request_id": request.request_id,
        "row_index": index,
        "arm": answer.arm,
        "mode": answer.mode,
        "returned": answer.returned,
        "model_name": answer.model_name,
        "model_version": answer.model_version,
        # The row's own key when it has one (a batch may mix keys), else the request's.
        "request_key": request.keys[index] if request.keys[index] is not None else request.request_key,
        "input_digest": digests[index],
        "prediction": scalar(value),
        "prediction_json": orjson.dumps(value, default=str).decode(),
        "latency_ms": answer.latency_ms,
        "client": request.client,
        "logged_at_utc": answer.logged_at,
    } for index, value in enumerate(answer.predictions)]


class PredictionLog:
    """A bounded queue of answers and the thread writing them through `write(rows)` in batches."""

    def __init__(self, write: Writer, *, batch_rows: int = 500, flush_seconds: float = 2.0,
                 max_rows: int = 200_000, count: Counter | None = None, retry_seconds: float = 1.0) -> None:
        self._write = write
        self.batch_rows = batch_rows
        self.flush_seconds = flush_seconds
        self.max_rows = max_rows
        self.retry_seconds = retry_seconds
        self._count = count or (lambda outcome, rows: None)
        self._queue: deque[ArmAnswer] = deque()
        self._pending = 0  # rows queued or being written: what the bound applies to
        self._cond = threading.Condition()
        self._stopping = False
        self._urgent = False  # someone waits for the queue to drain: write without waiting for a batch
        self._give_up_at = math.inf
        self._dropped_since_warning = 0
        self._last_warning = -math.inf
        self._thread = threading.Thread(target=self._run, name="gridflow-prediction-log", daemon=True)

    def start(self) -> None:
        """Start the writer thread."""
        self._thread.start()

    def submit(self, answer: ArmAnswer) -> bool:
        """Queue one answer without waiting; False (rows dropped and counted) when the queue is full."""
        with self._cond:
            if self._stopping or self._pending + answer.size > self.max_rows:
                self._note_dropped(answer.size)
                return False
            self._queue.append(answer)
            self._pending += answer.size
            if self._pending >= self.batch_rows:
                self._cond.notify_all()
        return True

    def pending(self) -> int:
        """Rows queued or being written."""
        with self._cond:
            return self._pending

    def wait_empty(self, timeout: float) -> bool:
        """Block until every queued row is written (or dropped); False on timeout. For tests and shutdown."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._pending > 0:
                self._urgent = True
                self._cond.notify_all()
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(min(remaining, 0.05))
        return True

    def close(self, timeout: float = 30.0) -> None:
        """Refuse new answers, write what is queued (retrying a failing write until `timeout`) and stop."""
        with self._cond:
            self._stopping = True
            self._give_up_at = time.monotonic() + timeout
            self._cond.notify_all()
        if self._thread.is_alive():
            self._thread.join(timeout + 5)

    def _note_dropped(self, rows: int, outcome: str = "dropped_queue_full") -> None:
        # Called with the lock held. One warning per 10 s at most: a full queue under load would
        # otherwise write a log line per request.
        self._count(outcome, rows)
        self._dropped_since_warning += rows
        now = time.monotonic()
        if now - self._last_warning >= 10:
            log.warning("prediction log: dropped %d row(s) (%s; %d rows pending, limit %d)",
                        self._dropped_since_warning, outcome, self._pending, self.max_rows)
            self._dropped_since_warning, self._last_warning = 0, now

    def _take(self) -> tuple[list[ArmAnswer], bool]:
        with self._cond:
            deadline = time.monotonic() + self.flush_seconds
            while not (self._stopping or self._urgent) and self._pending < self.batch_rows:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._cond.wait(remaining)
            taken = list(self._queue)
            self._queue.clear()
            self._urgent = False
            return taken, self._stopping

    def _run(self) -> None:
        while True:
            taken, stopping = self._take()
            if taken:
                rows = [row for answer in taken for row in log_rows(answer)]
                for start in range(0, len(rows), self.batch_rows):
                    self._write_chunk(rows[start:start + self.batch_rows])
                with self._cond:
                    self._pending -= sum(answer.size for answer in taken)
                    self._cond.notify_all()
            if stopping:
                with self._cond:
                    if not self._queue:
                        return

    def _write_chunk(self, rows: list[dict[str, Any]]) -> None:
        delay = self.retry_seconds
        while True:
            try:
                self._write(rows)
            except Exception as exc:  # the warehouse is down or slow: retry the same rows
                with self._cond:
                    if time.monotonic() >= self._give_up_at:
                        self._note_dropped(len(rows), "dropped_write_failed")
                        return
                log.warning("prediction log: writing %d row(s) failed (%s); retrying in %.1f s",
                            len(rows), exc, delay)
                with self._cond:
                    self._cond.wait(min(delay, max(self._give_up_at - time.monotonic(), 0.0)))
                delay = min(delay * 2, 30.0)
                continue
            self._count("written", len(rows))
            return
