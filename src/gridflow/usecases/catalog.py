"""The use-case registry: every model the generic flows can train and monitor, by name.

A new model is its module (a `UseCase` subclass, with its own `UseCaseConfig` subclass when it
has knobs) and one line in `USE_CASES`. Its settings are read from `GRIDFLOW_<NAME>__<FIELD>`.
A use case with zones (`zoned = True`) is also known per zone: `load_forecast.PJME` is
`load_forecast` trained on PJME alone, under its own registered model (gridflow.usecases.naming).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from gridflow.config import section
from gridflow.errors import UnknownUseCaseError
from gridflow.usecases.naming import split_model_name

if TYPE_CHECKING:
    from gridflow.usecases.base import UseCase

# name (the registered model in MLflow) -> "module:Class" of its UseCase.
USE_CASES: dict[str, str] = {
    "load_forecast": "gridflow.usecases.load_forecast:LoadForecast",
    "outage_risk": "gridflow.usecases.outage_risk:OutageRisk",
    "load_forecast_noweather": "gridflow.usecases.load_forecast_noweather:LoadForecastNoWeather",
    "transformer_health": "gridflow.usecases.transformer_health:TransformerHealth",
    "plant_output": "gridflow.usecases.plant_output:PlantOutput",
    "price_forecast": "gridflow.usecases.price_forecast:PriceForecast",
    "meter_forecast": "gridflow.usecases.meter_forecast:MeterForecast",
}


def use_case_class(name: str) -> type[UseCase]:
    """The class registered as `name` (or as the use case of a per-zone name), imported on demand
    (a use case pulls in its estimator stack)."""
    base, zone = split_model_name(name)
    target = USE_CASES.get(base)
    if target is None:
        raise UnknownUseCaseError(f"unknown use case {base!r}; known: {', '.join(known_use_cases())}")
    module_name, class_name = target.split(":")
    cls = getattr(importlib.import_module(module_name), class_name)
    if zone is not None and not cls.zoned:
        raise UnknownUseCaseError(
            f"model {name!r}: use case {base!r} has no zones (zoned: {', '.join(zoned_use_cases())})")
    return cls


def get_use_case(name: str) -> UseCase:
    """The use case registered as `name`, configured from its `GRIDFLOW_<NAME>__*` settings (or the
    section it declares in `settings_section`, for a variant of another use case); for a per-zone
    name, the same settings restricted to that zone, under the per-zone registered name."""
    cls = use_case_class(name)
    base, zone = split_model_name(name)
    config = section(getattr(cls, "settings_section", None) or base, cls.config_type)
    if zone is None:
        return cls(config)
    use_case = cls(config.model_copy(update={"zones": [zone]}))
    use_case.name = name
    return use_case


def use_case_for_zone(name: str, zone: str) -> UseCase:
    """The use case that forecasts `zone` for `name`: its per-zone model when it has a model per zone."""
    use_case = get_use_case(name)
    model = use_case.model_for_zone(zone)
    return use_case if model == use_case.name else get_use_case(model)


def zoned_use_cases() -> list[str]:
    """Use cases that can be trained per zone (their models are named `<use case>.<zone>`)."""
    return [name for name in USE_CASES if use_case_class(name).zoned]


def known_use_cases() -> list[str]:
    """Names of every use case the retrain flow can train."""
    return list(USE_CASES)
