"""The use-case registry: every model the generic flows can train and monitor, by name.

A new model is its module (a `UseCase` subclass, with its own `UseCaseConfig` subclass when it
has knobs) and one line in `USE_CASES`. Its settings are read from `GRIDFLOW_<NAME>__<FIELD>`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from gridflow.config import section
from gridflow.errors import UnknownUseCaseError

if TYPE_CHECKING:
    from gridflow.usecases.base import UseCase

# name (the registered model in MLflow) -> "module:Class" of its UseCase.
USE_CASES: dict[str, str] = {
    "load_forecast": "gridflow.usecases.load_forecast:LoadForecast",
    "outage_risk": "gridflow.usecases.outage_risk:OutageRisk",
    "load_forecast_noweather": "gridflow.usecases.load_forecast_noweather:LoadForecastNoWeather",
    "transformer_health": "gridflow.usecases.transformer_health:TransformerHealth",
}


def use_case_class(name: str) -> type[UseCase]:
    """The class registered as `name`, imported on demand (a use case pulls in its estimator stack)."""
    target = USE_CASES.get(name)
    if target is None:
        raise UnknownUseCaseError(f"unknown use case {name!r}; known: {', '.join(known_use_cases())}")
    module_name, class_name = target.split(":")
    return getattr(importlib.import_module(module_name), class_name)


def get_use_case(name: str) -> UseCase:
    """The use case registered as `name`, configured from its `GRIDFLOW_<NAME>__*` settings (or the
    section it declares in `settings_section`, for a variant of another use case)."""
    cls = use_case_class(name)
    return cls(section(getattr(cls, "settings_section", None) or name, cls.config_type))


def known_use_cases() -> list[str]:
    """Names of every use case the retrain flow can train."""
    return list(USE_CASES)
