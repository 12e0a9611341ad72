"""The prediction log: rows as logged, batches by size and by time, every row written at close, a
full queue drops and counts instead of blocking, a failed write is retried without duplicates."""

from __future__ import annotations

import json
import threading
import time

from gridflow.serving.prediction_log import ArmAnswer, PredictionLog, RequestRows, input_digest, log_rows


class Table:
    """An in-memory `prediction_log` that ignores a row already stored, like the warehouse's."""

    def __init__(self, fail_first: int = 0, sleep: float = 0.0) -> None:
        self.rows: dict[tuple, dict] = {}
        self.batches: list[int] = []
        self.fail_first = fail_first
        self.sleep = sleep
        self.lock = threading.Lock()

    def write(self, rows: list[dict]) -> int:
        time.sleep(self.sleep)
        with self.lock:
            if self.fail_first > 0:
                self.fail_first -= 1
                # Half the batch landed before the connection dropped: the retry must not double it.
                for row in rows[: len(rows) // 2]:
                    self.rows.setdefault((row["request_id"], row["arm"], row["row_index"]), row)
                raise ConnectionError("warehouse went away")
            self.batches.append(len(rows))
            for row in rows:
                self.rows.setdefault((row["request_id"], row["arm"], row["row_index"]), row)
        return len(rows)


class Counts:
    def __init__(self) -> None:
        self.by_outcome: dict[str, int] = {}

    def __call__(self, outcome: str, rows: int) -> None:
        self.by_outcome[outcome] = self.by_outcome.get(outcome, 0) + rows


def answer(request_id: str, n: int, arm: str = "champion", predictions=None) -> ArmAnswer:
    rows = [{"x": float(i), "reading_id": f"R{i}"} for i in range(n)]
    request = RequestRows(request_id, rows, [f"R{i}" for i in range(n)], "R0", "scada")
    return ArmAnswer(request, arm, "shadow", arm == "champion", "m", "3", predictions or [i * 2.0 for i in range(n)], 4.2)


def test_rows_carry_arm_version_key_digest_and_the_answer():
    request = RequestRows("req", [{"b": 1, "a": 2.5}, {"a": 1}], ["R7", None], "HDR", "scada")
    rows = log_rows(ArmAnswer(request, "challenger", "shadow", False, "m", "4", [1.5, {"p50": 3}], 2.0))
    assert [r["row_index"] for r in rows] == [0, 1]
    assert rows[0]["request_key"] == "R7" and rows[1]["request_key"] == "HDR"  # own key, else the request's
    assert rows[0]["input_digest"] == input_digest({"a": 2.5, "b": 1}) != rows[1]["input_digest"]  # key order free
    assert (rows[0]["prediction"], rows[1]["prediction"]) == (1.5, None)
    assert json.loads(rows[1]["prediction_json"]) == {"p50": 3}
    assert {(r["arm"], r["mode"], r["returned"], r["model_version"], r["client"]) for r in rows} == \
        {("challenger", "shadow", False, "4", "scada")}
    assert rows[0]["logged_at_utc"].tzinfo is not None


def _wait_for(check, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while not check() and time.monotonic() < deadline:
        time.sleep(0.01)
    return check()


def test_a_full_batch_is_written_at_once_a_partial_one_waits_and_close_writes_everything():
    table = Table()
    plog = PredictionLog(table.write, batch_rows=10, flush_seconds=30, max_rows=1000)
    plog.start()
    try:
        plog.submit(answer("a", 10))  # a full batch: written without waiting for the 30 s timer
        assert _wait_for(lambda: len(table.rows) == 10)
        plog.submit(answer("b", 3))
        plog.submit(answer("c", 4))
        time.sleep(0.2)
        assert len(table.rows) == 10  # 7 rows: short of a batch, they wait for the timer
        plog.submit(answer("d", 25))
    finally:
        plog.close()
    assert len(table.rows) == 42 and max(table.batches) <= 10  # written in chunks of at most a batch
    assert plog.pending() == 0 and not plog.submit(answer("late", 1))  # closed: refused


def test_a_partial_batch_is_written_when_the_timer_runs_out():
    table = Table()
    plog = PredictionLog(table.write, batch_rows=1000, flush_seconds=0.1, max_rows=1000)
    plog.start()
    try:
        plog.submit(answer("a", 3))
        assert _wait_for(lambda: len(table.rows) == 3)
    finally:
        plog.close()


def test_a_full_queue_drops_and_counts_without_blocking():
    release = threading.Event()
    table = Table()
    counts = Counts()

    def stuck(rows):  # the warehouse hangs (until released, at most a minute)
        release.wait(60)
        return table.write(rows)

    plog = PredictionLog(stuck, batch_rows=5, flush_seconds=0.05, max_rows=20, count=counts)
    plog.start()
    started = time.perf_counter()
    accepted = [plog.submit(answer(f"r{i}", 5)) for i in range(10)]
    assert time.perf_counter() - started < 30  # never waits on the writer (it hangs for 60 s)
    assert accepted.count(True) == 4 and counts.by_outcome["dropped_queue_full"] == 30
    release.set()
    plog.close()
    assert len(table.rows) == 20 and counts.by_outcome["written"] == 20


def test_a_failed_write_is_retried_and_adds_nothing_twice():
    table = Table(fail_first=2)
    counts = Counts()
    plog = PredictionLog(table.write, batch_rows=8, flush_seconds=0.05, max_rows=100, count=counts, retry_seconds=0.01)
    plog.start()
    plog.submit(answer("a", 8))
    plog.submit(answer("a", 8, arm="challenger"))
    assert plog.wait_empty(5)
    plog.close()
    assert len(table.rows) == 16 and counts.by_outcome == {"written": 16}


def test_close_gives_up_on_a_dead_warehouse_and_counts_the_loss():
    counts = Counts()

    def dead(rows):
        raise ConnectionError("no warehouse")

    plog = PredictionLog(dead, batch_rows=100, flush_seconds=10, max_rows=100, count=counts, retry_seconds=0.01)
    plog.start()
    plog.submit(answer("a", 3))
    started = time.monotonic()
    plog.close(timeout=0.3)
    assert time.monotonic() - started < 30  # gave up, did not retry for ever (generous: a loaded machine)
    assert counts.by_outcome == {"dropped_write_failed": 3}
