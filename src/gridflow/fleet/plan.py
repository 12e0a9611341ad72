"""Which per-zone models a fleet retrain trains: every configured zone of the use case, or a selection."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Engine

from gridflow.errors import ConfigError
from gridflow.registry import mlflow_registry as registry
from gridflow.runtime import mlflow_ready
from gridflow.usecases.catalog import get_use_case
from gridflow.usecases.naming import zone_model_name


@dataclass(frozen=True)
class FleetPlan:
    """The use case, its zones in this run, and the registered model of each (same order)."""

    use_case: str
    zones: list[str]
    models: list[str]
    gate_metric: str


def plan_fleet(use_case: str, zones: list[str] | None = None) -> FleetPlan:
    """The zones to retrain (default: the use case's configured `zones`), one model each, no repeats."""
    case = get_use_case(use_case)
    if not case.zoned:
        raise ConfigError(f"{use_case!r} is not trained per zone: a fleet needs a use case with zones")
    chosen = list(dict.fromkeys(zones or case.config.zones))
    if not chosen:
        raise ConfigError(f"{use_case}: no zone to retrain")
    return FleetPlan(use_case, chosen, [zone_model_name(use_case, zone) for zone in chosen], case.gate_metric)


def prepare_stores(engine: Engine) -> None:
    """Create the warehouse schema and the MLflow store now (both are created on first use): zone
    retrains starting at once in several worker processes would otherwise race to migrate them."""
    with engine.connect():
        pass
    mlflow_ready()
    registry.ensure_store()


def run_key(fleet_run_id: str, model: str) -> str:
    """The key one zone's retrain registers under within one fleet run (the same on a Retry)."""
    return f"fleet:{fleet_run_id}:{model}"
