"""Value types of the drift monitor: the champion under watch, the current window, the drift
measured, where a check was recorded, and what a run of the monitor returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from gridflow.monitoring.evidently_adapter import DriftResult


@dataclass(frozen=True)
class Champion:
    """The version under watch and what its training run recorded."""

    version: str
    run_id: str | None
    created_at_ms: int | None
    metrics: dict[str, float]
    params: dict[str, str]


@dataclass(frozen=True)
class Window:
    """The current window's feature rows (with the champion's predictions once added)."""

    frame: pd.DataFrame
    start_utc: str | None
    end_utc: str | None
    new_rows: int  # rows with a known target after the champion's training window


@dataclass(frozen=True)
class DriftMeasure(DriftResult):
    """The feature drift of one check (prediction column taken out of the share) plus prediction drift."""

    prediction_drift: float | None = None


@dataclass(frozen=True)
class CheckRecord:
    """Where a check was recorded."""

    check_id: int
    mlflow_run_id: str | None
    mlflow_link: str | None


@dataclass(frozen=True)
class DriftCheckResult:
    """What one run of the monitor decided and measured, and where it is recorded."""

    model: str
    action: str  # retrain | warn | ok
    reason: str
    check_id: int
    champion_version: str | None = None
    drift_share: float | None = None
    drifted_features: list[str] = field(default_factory=list)
    prediction_drift: float | None = None
    accuracy: dict[str, Any] | None = None
    event_id: str | None = None  # the DRIFT_DETECTED event, when the check asked for a retrain
    mlflow_run_id: str | None = None
