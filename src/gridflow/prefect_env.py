"""Point Prefect at gridflow's server and result storage before Prefect is imported.

Prefect reads its settings when first imported, so the CLI calls `configure_prefect` first.
"""

from __future__ import annotations

import os
from datetime import timedelta

from pydantic import BaseModel, Field

from gridflow.config import Settings, section

# Prefect refuses a flow-run heartbeat period below 30 s.
MIN_HEARTBEAT_SECONDS = 30


class HeartbeatConfig(BaseModel):
    """Flow-run heartbeats (env: `GRIDFLOW_HEARTBEAT__<FIELD>`): how often a run says it is alive, and
    after how many missed beats the server marks it Crashed. The worker and `gridflow deploy` must
    read the same values."""

    seconds: int = Field(default=60, ge=MIN_HEARTBEAT_SECONDS, description="Seconds between heartbeats.")
    # 4 x 60 s also spares a run whose process kept Prefect's own 180 s period (not started by gridflow).
    missed: int = Field(default=4, ge=2, description="Missed heartbeats before a run is marked Crashed.")

    @property
    def crash_after(self) -> timedelta:
        """Silence after a heartbeat that marks the run Crashed."""
        return timedelta(seconds=self.seconds * self.missed)


def heartbeat_config() -> HeartbeatConfig:
    """The heartbeat settings of this process."""
    return section("heartbeat", HeartbeatConfig)


def prefect_environment(settings: Settings, api_url: str) -> dict[str, str]:
    """Environment variables that make a process use `api_url` and shared result storage."""
    home = settings.prefect_home
    return {
        "PREFECT_API_URL": api_url,
        "PREFECT_HOME": str(home),
        # Persisted task results let an operator's Retry skip tasks that already succeeded.
        "PREFECT_RESULTS_PERSIST_BY_DEFAULT": "true",
        "PREFECT_RESULTS_LOCAL_STORAGE_PATH": str(home / "results"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        # The default thread pool has no cap; two cores do not want hundreds of threads.
        "PREFECT_TASKS_RUNNER_THREAD_POOL_MAX_WORKERS": "4",
        # Runs of the worker's and served processes beat at this period; when the beats stop (kill -9,
        # reboot, OOM) the crash automation of `gridflow deploy` marks the run Crashed.
        "PREFECT_FLOWS_HEARTBEAT_FREQUENCY": str(heartbeat_config().seconds),
        "MLFLOW_DISABLE_TELEMETRY": "true",
    }


def configure_prefect(settings: Settings, api_url: str | None = None) -> str:
    """Export the Prefect environment into this process; returns the API URL in use."""
    url = api_url or settings.prefect_api_url or settings.local_prefect_api_url
    os.environ.update(prefect_environment(settings, url))
    return url
