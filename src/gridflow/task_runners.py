"""The task runner fanned-out flows use, chosen by a setting: threads in the flow's process (the
embedded default), a local Dask cluster of worker processes, or an existing Dask scheduler.

Only the choice lives here; which tasks fan out is the flows' business. prefect-dask is imported
only when a Dask runner is asked for, so the threads default costs nothing.
"""

from __future__ import annotations

from typing import Any

from gridflow.config import get_settings

THREADS = "threads"
LOCAL_DASK = "dask"
_SCHEDULER_SCHEMES = ("tcp://", "tls://", "inproc://", "ws://", "wss://")


def runner_kind(spec: str) -> str:
    """`threads`, `dask` (a local cluster) or `scheduler` (an existing one) for a `task_runner` setting."""
    value = spec.strip()
    if value == THREADS:
        return THREADS
    if value == LOCAL_DASK:
        return LOCAL_DASK
    if value.startswith(_SCHEDULER_SCHEMES):
        return "scheduler"
    raise ValueError(f"GRIDFLOW_TASK_RUNNER={spec!r}: expected 'threads', 'dask' or a Dask scheduler "
                     f"address such as tcp://scheduler:8786")


def task_runner(spec: str | None = None) -> Any:
    """A fresh Prefect task runner for `spec` (default: the `task_runner` setting), running
    `task_workers` tasks at once (threads, or local Dask worker processes)."""
    settings = get_settings()
    value = settings.task_runner if spec is None else spec
    kind = runner_kind(value)
    if kind == THREADS:
        from prefect.task_runners import ThreadPoolTaskRunner

        # Bounded: ten zone retrains at once on two cores would only fight over them (and memory).
        return ThreadPoolTaskRunner(max_workers=settings.task_workers)
    from prefect_dask import DaskTaskRunner

    if kind == "scheduler":
        return DaskTaskRunner(address=value.strip())
    # One thread per worker process: the estimators use the cores themselves, and a process per
    # task keeps one task's crash (or kill) from taking the others with it.
    return DaskTaskRunner(cluster_kwargs={"n_workers": settings.task_workers, "threads_per_worker": 1,
                                          "processes": True, "dashboard_address": None})
