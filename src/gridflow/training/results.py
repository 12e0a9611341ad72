"""What one run of the retrain flow returns."""

from __future__ import annotations

from dataclasses import dataclass

from gridflow.registry.gate import GateDecision
from gridflow.usecases.base import Evaluation


@dataclass(frozen=True)
class RetrainResult:
    """The challenger's version, the gate's final decision and evaluation, and where both are recorded."""

    model: str
    version: str
    decision: GateDecision
    evaluation: Evaluation
    audit_id: int
    mlflow_run_id: str
    experiment_id: str
