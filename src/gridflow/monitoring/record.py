"""Recording a check (warehouse row, MLflow run with the HTML report) and asking for a retrain."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.engine import Engine

from gridflow import events
from gridflow.config import get_settings
from gridflow.monitoring.decision import MonitorDecision
from gridflow.monitoring.types import Champion, CheckRecord, DriftMeasure, Window
from gridflow.registry import mlflow_registry as registry
from gridflow.runtime import log, mlflow_ready
from gridflow.warehouse import drift_checks


def record_check(
    engine: Engine, model: str, decision: MonitorDecision, champion: Champion | None, drift: DriftMeasure | None,
    accuracy: dict[str, Any] | None, window: Window | None, *, flow_run_id: str | None, flow_run_name: str,
) -> CheckRecord:
    """The check as a warehouse row, and (with a champion) an MLflow run holding the HTML report."""
    run_id, link = None, None
    if champion is not None:
        run_id, link = _log_check_run(model, decision, champion, drift, accuracy, window,
                                      flow_run_id=flow_run_id, flow_run_name=flow_run_name)
    with engine.begin() as conn:
        check_id = drift_checks.record_check(
            conn, model_name=model, action=decision.action, reason=decision.reason,
            model_version=None if champion is None else champion.version,
            window_start_utc=None if window is None else _instant(window.start_utc),
            window_end_utc=None if window is None else _instant(window.end_utc),
            reference_rows=None if drift is None else drift.reference_rows,
            current_rows=None if drift is None else drift.current_rows,
            drift_method=None if drift is None else drift.method,
            drift_threshold=None if drift is None else drift.threshold,
            drift_share=decision.drift_share,
            feature_scores=None if drift is None else drift.scores,
            drifted_features=None if drift is None else drift.drifted,
            prediction_drift=None if drift is None else drift.prediction_drift,
            accuracy=None if accuracy is None else {**accuracy, "degradation": decision.accuracy_degradation},
            flow_run_id=flow_run_id,
            mlflow_run_id=run_id,
        )
    return CheckRecord(check_id, run_id, link)


def request_retrain(
    engine: Engine, model: str, decision: MonitorDecision, record: CheckRecord, champion: Champion,
    drift: DriftMeasure,
) -> str | None:
    """Emit DRIFT_DETECTED (the retrain deployment's trigger) and mark the check; returns the event id."""
    event_id = events.emit(events.Event(
        event=events.DRIFT_DETECTED,
        resource=events.resource(events.model_resource(model)),
        payload={"model": model, "reason": decision.reason, "drift_share": decision.drift_share,
                 "drifted_features": drift.drifted, "prediction_drift": drift.prediction_drift,
                 "accuracy_degradation": decision.accuracy_degradation,
                 "champion_version": champion.version, "check_id": record.check_id,
                 "mlflow_run_id": record.mlflow_run_id},
    ))
    with engine.begin() as conn:
        drift_checks.mark_triggered(conn, record.check_id)
    log().info("%s: emitted %s (%s)", model, events.DRIFT_DETECTED, event_id)
    return event_id


def _log_check_run(
    model: str, decision: MonitorDecision, champion: Champion, drift: DriftMeasure, accuracy: dict[str, Any] | None,
    window: Window, *, flow_run_id: str | None, flow_run_name: str,
) -> tuple[str, str]:
    settings = get_settings()
    mlflow_ready()
    root = settings.mlflow_artifact_root
    experiment_id, run_id = registry.log_run(
        experiment_name=f"{model}-monitoring",
        run_name=f"{model}-v{champion.version}-{flow_run_name}",
        params={"window_start_utc": window.start_utc, "window_end_utc": window.end_utc,
                "drift_method": drift.method, "drift_threshold": drift.threshold},
        metrics=run_metrics(decision, drift, accuracy),
        tags={"gridflow.model_name": model, "gridflow.model_version": champion.version,
              "gridflow.champion_run_id": champion.run_id or "", "gridflow.action": decision.action,
              "prefect.flow_run_id": flow_run_id or ""},
        artifacts={"drift_report.html": drift.html or "",
                   "check.json": json.loads(json.dumps({"decision": decision.as_dict(), "accuracy": accuracy,
                                                        "scores": drift.scores, "drifted": drift.drifted},
                                                       default=str))},
        artifact_location=None if root is None else f"{root.rstrip('/')}/{model}-monitoring",
    )
    # The version points at its latest check, so the MLflow UI leads from model to report.
    registry.tag_version(model, champion.version, {"gridflow.monitoring.last_run_id": run_id,
                                                   "gridflow.monitoring.last_action": decision.action})
    return run_id, registry.run_url(settings.mlflow_ui_url, experiment_id, run_id)


def run_metrics(decision: MonitorDecision, drift: DriftMeasure, accuracy: dict[str, Any] | None) -> dict[str, float]:
    """The check's MLflow metrics: drift share and scores, accuracy degradation and current metrics."""
    metrics = {"drift_share": drift.share, "prediction_drift": drift.prediction_drift,
               "accuracy_degradation": decision.accuracy_degradation}
    metrics |= {f"current_{k}": v for k, v in ((accuracy or {}).get("current") or {}).items()}
    metrics |= {f"drift_{k}": v for k, v in drift.scores.items()}
    return {k: float(v) for k, v in metrics.items() if v is not None and np.isfinite(v)}


def _instant(text: str | None) -> datetime | None:
    return None if text in (None, "NaT") else pd.Timestamp(text).to_pydatetime()
