"""History of model monitoring checks: one row per check with its figures and verdict.

The cool-down of the retrain trigger is read from here (`last_trigger_at`), so the history is
also the memory that prevents retraining storms.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from gridflow.warehouse.tables import DRIFT_ACTIONS, drift_check


def record_check(
    conn: Connection,
    *,
    model_name: str,
    action: str,
    reason: str,
    model_version: Any = None,
    window_start_utc: datetime | None = None,
    window_end_utc: datetime | None = None,
    reference_rows: int | None = None,
    current_rows: int | None = None,
    drift_method: str | None = None,
    drift_threshold: float | None = None,
    drift_share: float | None = None,
    feature_scores: dict[str, float] | None = None,
    drifted_features: list[str] | None = None,
    prediction_drift: float | None = None,
    accuracy: dict[str, Any] | None = None,
    triggered: bool = False,
    flow_run_id: str | None = None,
    mlflow_run_id: str | None = None,
    checked_at: datetime | None = None,
) -> int:
    """Append one check (action retrain|warn|ok); returns its id."""
    if action not in DRIFT_ACTIONS:
        raise ValueError(f"action must be one of {DRIFT_ACTIONS}, not {action!r}")
    if not reason or not reason.strip():
        raise ValueError("a check needs a reason an operator can read later")
    result = conn.execute(
        insert(drift_check).values(
            model_name=model_name,
            model_version=None if model_version is None else str(model_version),
            checked_at=checked_at or datetime.now(UTC),
            window_start_utc=window_start_utc,
            window_end_utc=window_end_utc,
            reference_rows=reference_rows,
            current_rows=current_rows,
            drift_method=drift_method,
            drift_threshold=drift_threshold,
            drift_share=drift_share,
            feature_scores=feature_scores,
            drifted_features=drifted_features,
            prediction_drift=prediction_drift,
            accuracy=accuracy,
            action=action,
            reason=reason,
            triggered=triggered,
            flow_run_id=flow_run_id,
            mlflow_run_id=mlflow_run_id,
        )
    )
    return int(result.inserted_primary_key[0])


def mark_triggered(conn: Connection, check_id: int) -> None:
    """Flag a check whose retrain event went out; from now on it starts the cool-down."""
    conn.execute(update(drift_check).where(drift_check.c.id == check_id).values(triggered=True))


def set_report_run(conn: Connection, check_id: int, mlflow_run_id: str) -> None:
    """Link a check to the MLflow run that holds its HTML report."""
    conn.execute(update(drift_check).where(drift_check.c.id == check_id).values(mlflow_run_id=mlflow_run_id))


def check_history(conn: Connection, model_name: str, limit: int = 30) -> list[dict]:
    """The latest `limit` checks of `model_name`, newest first, as plain dicts."""
    t = drift_check.c
    stmt = select(drift_check).where(t.model_name == model_name).order_by(t.id.desc()).limit(limit)
    return [dict(row._mapping) for row in conn.execute(stmt)]


def last_trigger_at(conn: Connection, model_name: str) -> datetime | None:
    """When a check last fired the retrain event for `model_name`, or None if never."""
    t = drift_check.c
    stmt = select(func.max(t.checked_at)).where(t.model_name == model_name, t.triggered.is_(True))
    return conn.execute(stmt).scalar_one_or_none()
