"""What one zone's retrain decided (or why it failed), from the run's result or from what it recorded."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Engine

from gridflow.registry import mlflow_registry as registry
from gridflow.runtime import mlflow_ready
from gridflow.training.results import RetrainResult
from gridflow.warehouse import audit

TRAINED = "trained"
FAILED = "failed"


@dataclass(frozen=True)
class ZoneOutcome:
    """One zone of a fleet run: the version trained and the gate's decision, or the failure."""

    model: str
    zone: str
    status: str  # trained | failed
    version: str | None = None
    action: str | None = None  # promote | reject
    reason: str = ""
    metric: str | None = None
    challenger: float | None = None
    champion: float | None = None
    baseline: float | None = None
    champion_version: str | None = None

    @property
    def failed(self) -> bool:
        """True when the zone was not trained and decided."""
        return self.status == FAILED


def from_result(zone: str, result: RetrainResult) -> ZoneOutcome:
    """The outcome of a retrain that ran to its decision."""
    d = result.decision
    return ZoneOutcome(result.model, zone, TRAINED, result.version, d.action, d.reason, d.metric,
                       d.challenger, d.champion, d.baseline, d.champion_version)


def failure(model: str, zone: str, error: str) -> ZoneOutcome:
    """The outcome of a zone whose retrain stopped before a decision (bad data, quarantined batch...)."""
    return ZoneOutcome(model, zone, FAILED, reason=error.strip() or "failed without a message")


def settled(engine: Engine, model: str, zone: str, run_key: str, metric: str) -> ZoneOutcome | None:
    """The outcome already recorded for `run_key` (a version registered and its decision audited),
    or None: the engine may run a finished zone again, and the second run must only read it back."""
    mlflow_ready()
    experiment = registry.experiment_id(model)
    logged = None if experiment is None else registry.find_logged(model, experiment, run_key)
    if logged is None:
        return None
    with engine.connect() as conn:
        row = audit.decision_for_run(conn, model, logged.run_id)
    if row is None:
        return None
    metrics: dict[str, Any] = row.get("metrics") or {}
    return ZoneOutcome(model, zone, TRAINED, logged.version, row["action"], row["reason"], metric,
                       _metric(metrics.get("challenger"), metric), _metric(metrics.get("champion"), metric),
                       _metric(metrics.get("baseline"), metric), row.get("from_version"))


def _metric(scores: dict[str, float] | None, metric: str) -> float | None:
    return None if not scores else scores.get(metric)
