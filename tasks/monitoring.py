"""Tasks of the drift monitor: champion, reference and current window, drift and accuracy, the
retrain decision, the record (warehouse, MLflow report, Prefect artifacts) and the trigger event.

Each body calls one function of gridflow.monitoring; this module decides names, retries, cache
policy and artifacts."""

from __future__ import annotations

from typing import Any

import pandas as pd
from prefect import task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.runtime import flow_run

from gridflow import events
from gridflow.monitoring import history as checks_history
from gridflow.monitoring import measure, record, report, verdict, window
from gridflow.monitoring.decision import MonitorDecision, no_champion
from gridflow.monitoring.history import CausedRun
from gridflow.monitoring.types import Champion, CheckRecord, DriftMeasure, Window
from gridflow.usecases import naming
from gridflow.usecases.catalog import get_use_case
from tasks.common import LIGHT, WORK, log, warehouse


@task(name="find-champion", task_run_name="find-champion-{model}", **LIGHT)
def find_champion(model: str) -> Champion | None:
    """The version the `champion` alias points at, with its run's metrics and parameters."""
    return window.find_champion(model)


@task(name="load-reference", task_run_name="load-reference-{model}", **WORK)
def load_reference(model: str, champion: Champion) -> pd.DataFrame:
    """The champion's training features and predictions, as logged when it was trained."""
    return window.load_reference(model, champion)


@task(name="build-current-window", task_run_name="current-window-{model}", **WORK)
def build_current_window(model: str, window_days: int, champion: Champion) -> Window:
    """Features of the last `window_days` local days, and the rows new since the champion's training."""
    return window.build_current_window(get_use_case(model), warehouse(), window_days, champion)


@task(name="predict-champion", task_run_name="predict-champion-{model}", **WORK)
def predict_champion(model: str, champion: Champion, current: Window) -> Window:
    """The window with the champion's predictions in column `prediction`."""
    return window.predict_champion(get_use_case(model), champion, current)


@task(name="measure-drift", task_run_name="measure-drift-{model}", **WORK)
def measure_drift(model: str, reference: pd.DataFrame, current: Window) -> DriftMeasure:
    """Per-feature and prediction drift on stratified samples of both sides (<= 10,000 rows each)."""
    return measure.measure_drift(get_use_case(model), reference, current)


@task(name="measure-accuracy", task_run_name="measure-accuracy-{model}", **LIGHT)
def measure_accuracy(model: str, current: Window, champion: Champion) -> dict[str, Any]:
    """The champion's error beside its backtest figure: from its issued forecasts once their actuals
    have landed, else recomputed on the window (the result's `source` says which)."""
    return measure.measure_accuracy(get_use_case(model), current, champion, warehouse())


@task(name="gather-history", task_run_name="gather-history-{model}", **WORK)
def gather_history(model: str, champion: Champion) -> dict[str, Any]:
    """Cool-down inputs: last trigger, a retrain of this model under way, the champion's age."""
    return checks_history.gather_history(warehouse(), model, champion)


@task(name="decide-retrain", task_run_name="decide-retrain-{model}", **LIGHT)
def decide_action(
    model: str, drift: DriftMeasure, accuracy: dict[str, Any], history: dict[str, Any], current: Window,
) -> MonitorDecision:
    """The pure decision on what was measured, with the model's monitor policy."""
    return verdict.decide_action(get_use_case(model), drift, accuracy, history, current)


@task(name="no-champion", task_run_name="no-champion-{model}", **LIGHT)
def note_no_champion(model: str) -> MonitorDecision:
    """The verdict when `model` has no champion yet: a warning that says how to train one."""
    decision = no_champion()
    log().info("%s: %s - %s", model, decision.action, decision.reason)
    return decision


@task(name="record-check", task_run_name="record-check-{model}", **WORK)
def record_check(
    model: str, decision: MonitorDecision, champion: Champion | None, drift: DriftMeasure | None,
    accuracy: dict[str, Any] | None, current: Window | None,
) -> CheckRecord:
    """The check as a warehouse row, and (with a champion) an MLflow run holding the HTML report."""
    return record.record_check(
        warehouse(), model, decision, champion, drift, accuracy, current,
        flow_run_id=str(flow_run.get_id() or "") or None, flow_run_name=flow_run.get_name() or "local",
    )


@task(name="trigger-retrain", task_run_name="trigger-retrain-{model}", **LIGHT)
def trigger_retrain(
    model: str, decision: MonitorDecision, check: CheckRecord, champion: Champion, drift: DriftMeasure,
) -> str | None:
    """Emit the drift event (the retrain deployment's trigger) and mark the check; returns the event id."""
    return record.request_retrain(warehouse(), model, decision, check, champion, drift)


@task(name="find-caused-retrain", task_run_name="find-caused-retrain", **LIGHT)
def find_caused_retrain(event_id: str) -> CausedRun | None:
    """The retrain run the automation started for the drift event (None if none answered in time)."""
    return checks_history.caused_run(event_id, events.DRIFT_DETECTED)


@task(name="publish-model-health", task_run_name="publish-health-{model}", **LIGHT)
def publish_health(
    model: str, decision: MonitorDecision, check: CheckRecord, champion: Champion | None,
    drift: DriftMeasure | None, accuracy: dict[str, Any] | None, event_id: str | None,
    caused: CausedRun | None = None,
) -> str:
    """The verdict as a markdown artifact (linking the retrain run it caused), and the keyed
    model-health table of recent checks."""
    slug = naming.slug(model)
    markdown = report.render_check_markdown(model, decision, check, champion, drift, accuracy, event_id, caused)
    create_markdown_artifact(key=f"drift-check-{slug}", markdown=markdown, description=f"{model}: {decision.action}")
    rows = report.health_rows(warehouse(), model)
    create_table_artifact(key=f"model-health-{slug}", table=rows,
                          description=f"{model}: the last {len(rows)} drift/accuracy checks, newest first")
    return markdown
