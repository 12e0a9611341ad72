"""Process set-up shared by tasks, the CLI and services: the warehouse engine, MLflow, the logger.

Each is built once per process from the settings, so every caller of the same process writes
through the same engine (one write path) and the same MLflow store.
"""

from __future__ import annotations

import logging
from functools import cache
from typing import TYPE_CHECKING, Any

from gridflow.config import get_settings

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine


@cache
def warehouse() -> Engine:
    """The process-wide warehouse engine, migrated to the latest schema on first use."""
    from gridflow.warehouse.engine import make_engine, upgrade

    engine = make_engine(get_settings().warehouse_url)
    upgrade(engine)
    return engine


@cache
def mlflow_ready() -> str:
    """Configure MLflow for this process once; returns the tracking URI."""
    from gridflow.registry import mlflow_registry

    uri = get_settings().mlflow_tracking_uri
    mlflow_registry.configure(uri)
    return uri


def reset() -> None:
    """Forget the cached engine and MLflow set-up (tests and the CLI change the settings)."""
    warehouse.cache_clear()
    mlflow_ready.cache_clear()


def log() -> Any:
    """The run logger inside a flow or task run (shown in the Prefect UI); the `gridflow` logger elsewhere."""
    try:
        from prefect import get_run_logger
        from prefect.exceptions import MissingContextError
    except ImportError:  # pragma: no cover - prefect is a dependency; keeps the core usable without it
        return logging.getLogger("gridflow")
    try:
        return get_run_logger()
    except MissingContextError:
        return logging.getLogger("gridflow")
