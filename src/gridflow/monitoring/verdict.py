"""The retrain decision of one check: what was measured, judged by the use case's monitor policy."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gridflow.monitoring.decision import MonitorDecision, MonitorInputs, decide
from gridflow.monitoring.types import DriftMeasure, Window
from gridflow.runtime import log

if TYPE_CHECKING:
    from gridflow.usecases.base import UseCase


def decide_action(
    use_case: UseCase, drift: DriftMeasure, accuracy: dict[str, Any], history: dict[str, Any], window: Window,
) -> MonitorDecision:
    """The pure decision on a champion's check, with the use case's policy (`use_case.monitor`)."""
    inputs = MonitorInputs(
        has_champion=True,
        drift_share=drift.share,
        drifted_features=drift.drifted,
        metric=accuracy.get("metric") or use_case.gate.metric,
        current_error=accuracy.get("current_error"),
        reference_error=accuracy.get("reference_error"),
        new_rows=window.new_rows,
        champion_age_days=history.get("champion_age_days"),
        hours_since_last_trigger=history.get("hours_since_last_trigger"),
        retrain_running=bool(history.get("retrain_running")),
    )
    decision = decide(inputs, use_case.monitor)
    log().info("%s: %s - %s", use_case.name, decision.action, decision.reason)
    return decision
