"""The scoring app wired to this process's settings, MLflow registry and warehouse."""

from __future__ import annotations

from fastapi import FastAPI

from gridflow.config import section
from gridflow.runtime import mlflow_ready
from gridflow.serving import registry_source
from gridflow.serving.app import create_app
from gridflow.serving.forecasts import issued_forecast
from gridflow.usecases.catalog import known_use_cases
from gridflow.usecases.configs import ApiConfig


def api_config() -> ApiConfig:
    """The API's settings (`GRIDFLOW_API__*`)."""
    return section("api", ApiConfig)


def build_app(config: ApiConfig | None = None) -> FastAPI:
    """The app serving the configured use cases' champions (every known one by default)."""
    config = config or api_config()
    mlflow_ready()
    names = config.models or known_use_cases()
    return create_app(
        registry_source.registry_holder(names),
        config,
        predict=registry_source.predict,
        list_models=lambda: registry_source.model_summaries(names),
        read_forecast=issued_forecast,
    )
