"""Pure parts of the meter drop-folder pipeline (gridflow.ingest.meters): task grouping and the prepare-ahead thread."""

from __future__ import annotations

import threading

import pytest

from gridflow.ingest.meters import batches, prefetched


def files(tmp_path, sizes: list[int]) -> list[str]:
    paths = []
    for i, size in enumerate(sizes):
        path = tmp_path / f"f{i:03d}.csv"
        path.write_bytes(b"x" * size)
        paths.append(str(path))
    return paths


def test_batches_keep_order_and_split_by_size(tmp_path):
    paths = files(tmp_path, [100] * 10)
    assert batches(paths, max_tasks=50, min_task_bytes=1000) == [paths]  # too little for two tasks
    assert batches(paths, max_tasks=50, min_task_bytes=500) == [paths[:5], paths[5:]]
    assert batches(paths, max_tasks=3, min_task_bytes=1) == [paths[:4], paths[4:7], paths[7:]]
    assert [p for g in batches(paths, max_tasks=50, min_task_bytes=1) for p in g] == paths
    assert len(batches(paths, max_tasks=50, min_task_bytes=1)) == 10
    assert batches([], max_tasks=3) == []


def test_batches_balance_bytes_not_counts(tmp_path):
    paths = files(tmp_path, [1000, 10, 10, 10, 1000, 10])
    assert batches(paths, max_tasks=2, min_task_bytes=1) == [paths[:3], paths[3:]]  # 1020 + 1020 bytes


def test_prefetch_yields_in_order_and_stays_bounded():
    produced = []

    def source():
        for i in range(20):
            produced.append(i)
            yield i

    with prefetched(source(), depth=2) as items:
        first = next(items)
        threading.Event().wait(0.2)  # let the worker run ahead as far as it may
        ahead = len(produced)
        rest = list(items)
    assert [first, *rest] == list(range(20))
    assert ahead <= 1 + 2 + 1  # consumed + queued + one waiting to be queued


def test_prefetch_raises_the_source_error_after_the_items_before_it():
    def source():
        yield 1
        yield 2
        raise ValueError("broken at 3")

    got = []
    with pytest.raises(ValueError, match="broken at 3"), prefetched(source(), depth=1) as items:
        for item in items:
            got.append(item)
    assert got == [1, 2]


def test_leaving_early_stops_the_worker():
    def endless():
        i = 0
        while True:
            yield i
            i += 1

    before = threading.active_count()
    with prefetched(endless(), depth=1) as items:
        assert next(items) == 0
    assert threading.active_count() == before
