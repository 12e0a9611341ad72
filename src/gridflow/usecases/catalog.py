"""The use-case registry: every model the generic flows can train and monitor, by name.

A new model is its module (a `UseCase` subclass), its config (a `UseCaseConfig` subclass in
`configs.py`, a field of `Settings`) and one line in `USE_CASES`.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from gridflow.config import Settings, get_settings
from gridflow.errors import UnknownUseCaseError

if TYPE_CHECKING:
    from gridflow.usecases.base import UseCase


@dataclass(frozen=True)
class Registration:
    """Where a use case's class lives ("module:Class") and which `Settings` field configures it."""

    target: str
    settings_field: str


USE_CASES: dict[str, Registration] = {
    "load_forecast": Registration("gridflow.usecases.load_forecast:LoadForecast", "load_forecast"),
    "outage_risk": Registration("gridflow.usecases.outage_risk:OutageRisk", "outage_risk"),
}


def get_use_case(name: str, settings: Settings | None = None) -> UseCase:
    """The use case registered as `name`, configured from `settings` (default: the process's)."""
    registration = USE_CASES.get(name)
    if registration is None:
        raise UnknownUseCaseError(f"unknown use case {name!r}; known: {', '.join(known_use_cases())}")
    module_name, class_name = registration.target.split(":")
    # Imported on demand: a use case pulls in its estimator stack (XGBoost, scikit-learn).
    use_case_class = getattr(importlib.import_module(module_name), class_name)
    return use_case_class(getattr(settings or get_settings(), registration.settings_field))


def known_use_cases() -> list[str]:
    """Names of every use case the retrain flow can train."""
    return list(USE_CASES)
