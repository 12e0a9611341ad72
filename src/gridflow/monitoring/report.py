"""The drift check as markdown, and the rows of the model-health table of recent checks."""

from __future__ import annotations

from typing import Any

import numpy as np
from sqlalchemy.engine import Engine

from gridflow import events, run_names
from gridflow.monitoring.decision import MonitorDecision
from gridflow.monitoring.history import CausedRun
from gridflow.monitoring.types import Champion, CheckRecord, DriftMeasure
from gridflow.warehouse import drift_checks

HEALTH_ROWS = 30


def render_check_markdown(
    model: str, decision: MonitorDecision, record: CheckRecord, champion: Champion | None,
    drift: DriftMeasure | None, accuracy: dict[str, Any] | None, event_id: str | None,
    caused: CausedRun | None = None,
) -> str:
    """One check as markdown: verdict and reason, the retrain run it caused, drift per feature,
    accuracy, links."""
    version = "(none)" if champion is None else f"v{champion.version}"
    lines = [f"# {model} {version}: {decision.action.upper()}", "", f"**Why:** {decision.reason}", ""]
    if event_id:
        lines += [retrain_line(model, event_id, caused), ""]
    if drift is not None:
        lines += [f"Drift ({drift.method}, drift at >= {drift.threshold:g}): share {drift.share:.0%} of "
                  f"{len(drift.scores)} features; prediction drift {_fmt(drift.prediction_drift)}; "
                  f"{drift.reference_rows} reference rows (same months) vs {drift.current_rows} current rows.",
                  "", "| feature | score | drifted |", "|---|---:|---|"]
        lines += [f"| {c} | {_fmt(s)} | {'yes' if c in drift.drifted else ''} |"
                  for c, s in sorted(drift.scores.items(), key=lambda item: -item[1])]
        lines.append("")
    if accuracy and accuracy.get("current"):
        metric = accuracy["metric"]
        lines += [f"Accuracy on {accuracy['rows']} hours with actuals: {metric} "
                  f"{_fmt(accuracy.get('current_error'))} vs {_fmt(accuracy.get('reference_error'))} "
                  f"({accuracy.get('reference_source')}), RMSE {_fmt(accuracy['current'].get('rmse'))}.", ""]
    lines.append(f"Warehouse: drift_check row {record.check_id}.")
    if record.mlflow_link:
        lines.append(f"HTML report: [MLflow run {record.mlflow_run_id}]({record.mlflow_link}) "
                     "(artifact `drift_report.html`).")
    return "\n".join(lines) + "\n"


def retrain_line(model: str, event_id: str, caused: CausedRun | None) -> str:
    """The sentence naming the retrain a check asked for: the run the automation started (by the
    name it takes when it starts, from its parameters), or where to look while none was found."""
    event = f"event `{events.DRIFT_DETECTED}` `{event_id}`"
    if caused is None:
        return (f"Retrain requested: {event}. No run started by it was found yet: the event's page in "
                "the Prefect UI (Events) lists the automation's action and the run it created.")
    name = run_names.retrain_name(caused.parameters.get("model", model), caused.parameters.get("trigger"))
    run = f"[{name}]({caused.flow_run_url})" if caused.flow_run_url else f"`{name}`"
    event_link = f"[{event}]({caused.event_url})" if caused.event_url else event
    return f"Retrain requested: {event_link} started the retrain run {run} (id `{caused.flow_run_id}`)."


def health_rows(engine: Engine, model: str) -> list[dict[str, Any]]:
    """The model-health table: the model's last checks, newest first, one short row each."""
    with engine.connect() as conn:
        history = drift_checks.check_history(conn, model, limit=HEALTH_ROWS)
    return [_health_row(row) for row in history]


def _health_row(row: dict[str, Any]) -> dict[str, Any]:
    accuracy = row.get("accuracy") or {}
    return {
        "checked_at": str(row["checked_at"])[:19],
        "version": row["model_version"] or "-",
        "action": row["action"],
        "triggered": "yes" if row["triggered"] else "",
        "drift_share": _fmt(row["drift_share"]),
        "prediction_drift": _fmt(row["prediction_drift"]),
        "error": "-" if accuracy.get("current_error") is None
        else f"{accuracy.get('metric')} {_fmt(accuracy.get('current_error'))}",
        "reason": (row["reason"] or "")[:160],
    }


def _fmt(value: Any) -> str:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "-"
    return f"{value:.3g}" if isinstance(value, float | int) else str(value)
