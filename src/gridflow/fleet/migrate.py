"""The migration path from one model for every zone (`load_forecast`) to a model per zone
(`load_forecast.<zone>`): each zone's registered model starts with a copy of the champion that
served it, recorded in the audit trail, so switching `model_per_zone` on never leaves a zone
without a champion to issue. Safe to run again: a zone that already has a champion is left alone."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Engine

from gridflow.errors import RegistryError
from gridflow.registry import mlflow_registry as registry
from gridflow.runtime import mlflow_ready
from gridflow.usecases.naming import zone_model_name
from gridflow.warehouse import audit


@dataclass(frozen=True)
class ZoneSeed:
    """What the migration did for one zone."""

    model: str
    version: str | None
    copied_from: str | None  # `<model>@<version>` copied; None when the zone already had a champion
    audit_id: int | None


def seed_zone_models(engine: Engine, use_case: str, zones: list[str], *, actor: str) -> list[ZoneSeed]:
    """Copy `use_case`'s champion to `<use_case>.<zone>` as its champion, for each zone without one."""
    mlflow_ready()
    source = registry.alias_version(use_case, registry.CHAMPION)
    seeds = []
    for zone in zones:
        model = zone_model_name(use_case, zone)
        # Under the zone's champion lock: a fleet retrain promoting meanwhile is not overwritten.
        with audit.champion_lock(engine, model) as conn:
            existing = registry.alias_version(model, registry.CHAMPION)
            if existing is not None:
                seeds.append(ZoneSeed(model, existing.version, None, None))
                continue
            if source is None:
                raise RegistryError(f"{use_case} has no champion to copy to {model}: train the zones with "
                                    f"`gridflow fleet retrain {use_case}` instead")
            version = registry.copy_version(use_case, source.version, model)
            registry.set_alias(model, registry.CHAMPION, version)
            reason = f"migrated to a model per zone: copy of {use_case} v{source.version}, which served {zone}"
            registry.tag_version(model, version, {"gridflow.copied_from": f"{use_case}@{source.version}"})
            audit_id = audit.record_decision(
                conn, model_name=model, action="promote", from_version=None, to_version=version, actor=actor,
                reason=reason, metrics={"copied_from": {"model": use_case, "version": source.version,
                                                        "metrics": source.metrics}},
                trigger="fleet migrate", mlflow_run_id=source.run_id)
        seeds.append(ZoneSeed(model, version, f"{use_case}@{source.version}", audit_id))
    return seeds
