"""The scoring app wired to this process's settings, MLflow registry and warehouse."""

from __future__ import annotations

import os
from typing import Any

from fastapi import FastAPI

from gridflow.config import section
from gridflow.runtime import mlflow_ready, warehouse
from gridflow.serving import registry_source
from gridflow.serving.app import create_app
from gridflow.serving.forecasts import issued_forecast
from gridflow.serving.metrics import ApiMetrics, new_metrics
from gridflow.serving.prediction_log import PredictionLog
from gridflow.usecases.catalog import known_use_cases
from gridflow.usecases.configs import ApiConfig
from gridflow.warehouse.predictions import write_predictions


def api_config() -> ApiConfig:
    """The API's settings (`GRIDFLOW_API__*`)."""
    return section("api", ApiConfig)


def write_to_warehouse(rows: list[dict[str, Any]]) -> int:
    """Write prediction-log rows in one transaction of the process's warehouse (the log's writer)."""
    with warehouse().begin() as conn:
        return write_predictions(conn, rows)


def warehouse_prediction_log(config: ApiConfig, metrics: ApiMetrics) -> PredictionLog:
    """The prediction log writing to the warehouse with the configured batching and bound."""
    return PredictionLog(write_to_warehouse, batch_rows=config.log_batch_rows, flush_seconds=config.log_flush_seconds,
                         max_rows=config.log_queue_rows, count=metrics.count_log_rows)


def build_app(config: ApiConfig | None = None) -> FastAPI:
    """The app serving the configured use cases' champions (every known one by default), their
    challengers where a traffic rule asks, and logging every answer to the warehouse."""
    config = config or api_config()
    mlflow_ready()
    names = config.models or known_use_cases()
    metrics = new_metrics()
    ruled = [name for name in names if name in config.traffic and config.traffic[name].mode != "serve"]
    return create_app(
        registry_source.registry_holder(names),
        config,
        predict=registry_source.predict,
        list_models=lambda: registry_source.model_summaries(names),
        read_forecast=issued_forecast,
        metrics=metrics,
        challengers=registry_source.challenger_holder(ruled) if ruled else None,
        prediction_log=warehouse_prediction_log(config, metrics) if config.log_predictions else None,
        # Events need a Prefect API: `gridflow api` points the process at the stack's (polling covers the rest).
        listen_for_events=bool(os.environ.get("PREFECT_API_URL")),
    )
