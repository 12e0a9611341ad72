"""The task-runner setting: threads (bounded), a local Dask cluster, or an existing scheduler."""

from __future__ import annotations

import pytest

from gridflow.task_runners import runner_kind, task_runner


@pytest.mark.parametrize(("spec", "kind"), [
    ("threads", "threads"), ("dask", "dask"), ("tcp://scheduler:8786", "scheduler"), ("tls://10.0.0.5:8786", "scheduler"),
])
def test_kinds(spec, kind):
    assert runner_kind(spec) == kind


@pytest.mark.parametrize("spec", ["", "dask-local", "scheduler:8786", "http://scheduler:8786"])
def test_anything_else_is_refused_with_the_accepted_forms(spec):
    with pytest.raises(ValueError, match="'threads', 'dask' or a Dask scheduler address"):
        runner_kind(spec)


def test_runners_follow_the_settings(monkeypatch):
    from prefect.task_runners import ThreadPoolTaskRunner
    from prefect_dask import DaskTaskRunner

    from gridflow.config import reset_settings

    monkeypatch.setenv("GRIDFLOW_TASK_WORKERS", "3")
    reset_settings()
    try:
        threads = task_runner()  # the default setting
        assert isinstance(threads, ThreadPoolTaskRunner) and threads._max_workers == 3
        local = task_runner("dask")
        assert isinstance(local, DaskTaskRunner) and local.address is None
        assert local.cluster_kwargs["n_workers"] == 3 and local.cluster_kwargs["processes"] is True
        remote = task_runner("tcp://scheduler:8786")
        assert isinstance(remote, DaskTaskRunner) and remote.address == "tcp://scheduler:8786"
    finally:
        monkeypatch.undo()
        reset_settings()
