"""Model use cases served by the generic retrain flow, looked up by registered-model name."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gridflow.errors import UnknownUseCaseError

if TYPE_CHECKING:
    from gridflow.usecases.base import UseCase


def get_use_case(name: str) -> UseCase:
    """The use case registered as `name`, configured from settings."""
    from gridflow.config import get_settings

    settings = get_settings()
    if name == "load_forecast":
        from gridflow.usecases.load_forecast import LoadForecast

        return LoadForecast(settings.load_forecast)
    if name == "outage_risk":
        from gridflow.usecases.outage_risk import OutageRisk

        return OutageRisk(settings.outage_risk)
    raise UnknownUseCaseError(f"unknown use case {name!r}; known: {', '.join(known_use_cases())}")


def known_use_cases() -> list[str]:
    """Names of every use case the retrain flow can train."""
    return ["load_forecast", "outage_risk"]
