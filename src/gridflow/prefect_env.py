"""Point Prefect at gridflow's server and result storage before Prefect is imported.

Prefect reads its settings when first imported, so the CLI calls `configure_prefect` first.
"""

from __future__ import annotations

import os

from gridflow.config import Settings


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
        "MLFLOW_DISABLE_TELEMETRY": "true",
    }


def configure_prefect(settings: Settings, api_url: str | None = None) -> str:
    """Export the Prefect environment into this process; returns the API URL in use."""
    url = api_url or settings.prefect_api_url or settings.local_prefect_api_url
    os.environ.update(prefect_environment(settings, url))
    return url
