"""Defaults shared by every gridflow task: persisted results, retry policy, store handles."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from prefect.cache_policies import RUN_ID, TASK_SOURCE, CachePolicy

from gridflow.fingerprint import fingerprint
from gridflow.runtime import log, mlflow_ready, warehouse
from gridflow.transient import is_transient


def retry_on_transient(task: Any, task_run: Any, state: Any) -> bool:
    """Prefect retry condition: retry connection and timeout errors, never bad data."""
    try:
        state.result(raise_on_failure=True)
    except BaseException as exc:  # the state's stored exception is re-raised here
        return is_transient(exc)
    return False


@dataclass
class ContentInputs(CachePolicy):
    """Cache key from the content of the task's inputs (see gridflow.fingerprint for why)."""

    def compute_key(self, task_ctx: Any, inputs: dict[str, Any], flow_parameters: dict[str, Any],
                    **kwargs: Any) -> str | None:
        """Fingerprint of every input, by name."""
        return fingerprint(inputs or {}) if inputs else None


# Inputs + task source + flow run id: a Retry of the same flow run finds the results of tasks that
# already succeeded and skips them, while a new run (new data may have landed) recomputes.
RETRY_SAFE_CACHE = ContentInputs() + TASK_SOURCE + RUN_ID

WORK = {
    "tags": ["gridflow"],
    "persist_result": True,
    "cache_policy": RETRY_SAFE_CACHE,
    "retries": 2,
    "retry_delay_seconds": [2, 10],
    "retry_condition_fn": retry_on_transient,
}
# Small decision/report steps: cheap to redo, but persisted so a retried run shows them as cached.
LIGHT = {"tags": ["gridflow"], "persist_result": True, "cache_policy": RETRY_SAFE_CACHE}


# Re-exported so task modules keep one import for their set-up; the logic is in gridflow.runtime.
__all__ = ["LIGHT", "RETRY_SAFE_CACHE", "WORK", "ContentInputs", "log", "mlflow_ready", "retry_on_transient",
           "warehouse"]
