"""Tasks of the drift monitor: champion, reference and current window, drift and accuracy, the
retrain decision, the record (warehouse, MLflow report, Prefect artifacts) and the trigger event."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
from prefect import task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.events import emit_event
from prefect.runtime import flow_run

from gridflow import frames as f
from gridflow.config import get_settings
from gridflow.monitoring import evidently_adapter
from gridflow.monitoring.decision import MonitorDecision, MonitorInputs, MonitorPolicy, decide
from gridflow.monitoring.reference import PREDICTION, REFERENCE_PATH, sample_by_strata, seasonal_slice
from gridflow.registry import mlflow_registry as registry
from gridflow.usecases import get_use_case
from gridflow.usecases.base import UseCase
from gridflow.warehouse import drift_checks
from tasks.common import LIGHT, WORK, log, mlflow_ready, warehouse

DRIFT_EVENT = "gridflow.model.drift.detected"
SAMPLE_ROWS = 10_000
# Scheduled runs further out than this are the cron's future runs, not a retrain under way.
_SCHEDULED_SOON = timedelta(minutes=10)


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
class DriftMeasure(evidently_adapter.DriftResult):
    """The feature drift of one check (prediction column taken out of the share) plus prediction drift."""

    prediction_drift: float | None = None


@dataclass(frozen=True)
class CheckRecord:
    """Where a check was recorded."""

    check_id: int
    mlflow_run_id: str | None
    mlflow_link: str | None


def monitor_policy(model: str) -> MonitorPolicy:
    """Thresholds of the retrain decision for `model`, from its use case's settings."""
    config = getattr(get_settings(), model, None)
    monitor = getattr(config, "monitor", None)
    return MonitorPolicy() if monitor is None else MonitorPolicy(**monitor.model_dump())


def monitored_columns(use_case: UseCase) -> list[str]:
    """Feature columns whose distribution is watched.

    Calendar columns are left out: over a 14-day window they are fixed by the date (one month,
    two weeks of weekdays) and would always look drifted against years of training data.
    """
    custom = getattr(use_case, "drift_columns", None)
    if callable(custom):
        return list(custom())
    if use_case.name == "load_forecast":
        from gridflow.forecast.features import LOAD_FEATURES

        return [c for c in LOAD_FEATURES if not c.endswith("_is_holiday")]
    return use_case.feature_columns()


@task(name="find-champion", task_run_name="find-champion-{model}", **LIGHT)
def find_champion(model: str) -> Champion | None:
    """The version the `champion` alias points at, with its run's metrics and parameters."""
    mlflow_ready()
    info = registry.alias_version(model, registry.CHAMPION)
    if info is None:
        return None
    params = registry.run_params(info.run_id) if info.run_id else {}
    return Champion(info.version, info.run_id, info.created_at_ms, info.metrics, params)


@task(name="load-reference", task_run_name="load-reference-{model}", **WORK)
def load_reference(model: str, champion: Champion) -> pd.DataFrame:
    """The champion's training features and predictions, as logged when it was trained."""
    mlflow_ready()
    if champion.run_id is None:
        raise registry.RegistryError(f"{model} v{champion.version} has no training run to read")
    frame = registry.download_frame(champion.run_id, REFERENCE_PATH)
    log().info("%s v%s: %d reference rows", model, champion.version, len(frame))
    return frame


@task(name="build-current-window", task_run_name="current-window-{model}", **WORK)
def build_current_window(model: str, window_days: int, champion: Champion) -> Window:
    """Features of the last `window_days` local days in the warehouse, and how many rows with a
    known target landed after the champion's training window."""
    use_case = get_use_case(model)
    with warehouse().connect() as conn:
        raw = use_case.load_dataset(conn)
    feats = use_case.build_features(raw)
    known = feats[feats[use_case.target].notna()]
    train_end = champion.params.get("train_end_utc")
    new_rows = len(known) if not train_end else int((known[f.INTERVAL_START_UTC] > pd.Timestamp(train_end)).sum())
    last_day = feats[f.INTERVAL_START_LOCAL].max().normalize()
    first_day = last_day - pd.Timedelta(days=window_days - 1)
    window = feats[feats[f.INTERVAL_START_LOCAL] >= first_day].reset_index(drop=True)
    times = window[f.INTERVAL_START_UTC]
    log().info("%s: %d rows from %s to %s local, %d new rows since training end %s", model, len(window),
               first_day.date(), last_day.date(), new_rows, train_end)
    return Window(window, str(times.min()), str(times.max()), new_rows)


@task(name="predict-champion", task_run_name="predict-champion-{model}", **WORK)
def predict_champion(model: str, champion: Champion, window: Window) -> Window:
    """The window with the champion's predictions in column `prediction`."""
    mlflow_ready()
    use_case = get_use_case(model)
    loaded = registry.load_model(model, champion.version)
    needed = registry.model_input_columns(loaded) or use_case.feature_columns()
    frame = window.frame.copy()
    frame[PREDICTION] = np.asarray(loaded.predict(frame[needed]), dtype="float64")
    return Window(frame, window.start_utc, window.end_utc, window.new_rows)


@task(name="measure-drift", task_run_name="measure-drift-{model}", **WORK)
def measure_drift(model: str, reference: pd.DataFrame, window: Window) -> DriftMeasure:
    """Per-feature and prediction drift on stratified samples of both sides (<= 10,000 rows each)."""
    columns = [c for c in monitored_columns(get_use_case(model)) if c in reference.columns]
    current = window.frame
    months = set(pd.to_datetime(current[f.INTERVAL_START_LOCAL]).dt.month)
    ref = seasonal_slice(reference, months)
    result = evidently_adapter.compute_drift(
        sample_by_strata(ref, SAMPLE_ROWS, seed=0),
        sample_by_strata(current, SAMPLE_ROWS, seed=1),
        [*columns, PREDICTION],
        with_html=True,
    )
    scores = {c: s for c, s in result.scores.items() if c != PREDICTION}
    drifted = [c for c in result.drifted if c != PREDICTION]
    measure = DriftMeasure(result.method, result.threshold, scores, drifted, len(ref), len(current), result.html,
                           prediction_drift=result.scores.get(PREDICTION))
    log().info("%s: drift share %.0f%% (%s), prediction drift %s", model, measure.share * 100,
               ", ".join(drifted) or "none", measure.prediction_drift)
    return measure


@task(name="measure-accuracy", task_run_name="measure-accuracy-{model}", **LIGHT)
def measure_accuracy(model: str, window: Window, champion: Champion) -> dict[str, Any]:
    """The champion's metrics where actuals have landed, beside its own backtest figure."""
    use_case = get_use_case(model)
    metric = use_case.gate.metric
    rows = window.frame[window.frame[use_case.target].notna()]
    reference, source = None, None
    for name in (f"backtest_mean_model_{metric}", f"holdout_{metric}"):
        if name in champion.metrics:
            reference, source = float(champion.metrics[name]), name
            break
    current = use_case.score(rows, rows[PREDICTION].to_numpy()) if len(rows) else {}
    return {"metric": metric, "rows": len(rows), "current": current,
            "current_error": current.get(metric), "reference_error": reference, "reference_source": source}


@task(name="gather-history", task_run_name="gather-history-{model}", **WORK)
def gather_history(model: str, champion: Champion) -> dict[str, Any]:
    """Cool-down inputs: last trigger, a retrain of this model under way, the champion's age."""
    now = datetime.now(UTC)
    with warehouse().connect() as conn:
        last = drift_checks.last_trigger_at(conn, model)
    age = None if champion.created_at_ms is None else (now.timestamp() * 1000 - champion.created_at_ms) / 86_400_000
    return {
        "last_trigger_at": None if last is None else last.isoformat(),
        "hours_since_last_trigger": None if last is None else (now - last).total_seconds() / 3600,
        "retrain_running": retrain_under_way(model, now),
        "champion_age_days": age,
    }


def retrain_under_way(model: str, now: datetime) -> bool:
    """Whether a `retrain` run for `model` is running, pending or scheduled to start now."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        FlowFilter,
        FlowFilterName,
        FlowRunFilter,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType

    active = [StateType.RUNNING, StateType.PENDING, StateType.SCHEDULED]
    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(
            flow_filter=FlowFilter(name=FlowFilterName(any_=["retrain"])),
            flow_run_filter=FlowRunFilter(state=FlowRunFilterState(type=FlowRunFilterStateType(any_=active))),
            limit=200,
        )
    for run in runs:
        if (run.parameters or {}).get("model", "load_forecast") != model:
            continue
        if run.state_type == StateType.SCHEDULED and run.expected_start_time is not None \
                and run.expected_start_time > now + _SCHEDULED_SOON:
            continue
        return True
    return False


@task(name="decide-retrain", task_run_name="decide-retrain-{model}", **LIGHT)
def decide_action(
    model: str, champion: Champion | None, drift: DriftMeasure | None, accuracy: dict[str, Any] | None,
    history: dict[str, Any] | None, window: Window | None,
) -> MonitorDecision:
    """The pure decision on what was measured, with the model's policy."""
    inputs = MonitorInputs(
        has_champion=champion is not None,
        drift_share=None if drift is None else drift.share,
        drifted_features=[] if drift is None else drift.drifted,
        metric=(accuracy or {}).get("metric") or get_use_case(model).gate.metric,
        current_error=(accuracy or {}).get("current_error"),
        reference_error=(accuracy or {}).get("reference_error"),
        new_rows=0 if window is None else window.new_rows,
        champion_age_days=(history or {}).get("champion_age_days"),
        hours_since_last_trigger=(history or {}).get("hours_since_last_trigger"),
        retrain_running=bool((history or {}).get("retrain_running")),
    )
    decision = decide(inputs, monitor_policy(model))
    log().info("%s: %s - %s", model, decision.action, decision.reason)
    return decision


@task(name="record-check", task_run_name="record-check-{model}", **WORK)
def record_check(
    model: str, decision: MonitorDecision, champion: Champion | None, drift: DriftMeasure | None,
    accuracy: dict[str, Any] | None, window: Window | None,
) -> CheckRecord:
    """The check as a warehouse row, and (with a champion) an MLflow run holding the HTML report."""
    settings = get_settings()
    run_id, link = None, None
    if champion is not None:
        mlflow_ready()
        root = settings.mlflow_artifact_root
        experiment_id, run_id = registry.log_run(
            experiment_name=f"{model}-monitoring",
            run_name=f"{model}-v{champion.version}-{flow_run.get_name() or 'local'}",
            params={"window_start_utc": window.start_utc, "window_end_utc": window.end_utc,
                    "drift_method": drift.method, "drift_threshold": drift.threshold},
            metrics=_run_metrics(decision, drift, accuracy),
            tags={"gridflow.model_name": model, "gridflow.model_version": champion.version,
                  "gridflow.champion_run_id": champion.run_id or "", "gridflow.action": decision.action,
                  "prefect.flow_run_id": str(flow_run.get_id() or "")},
            artifacts={"drift_report.html": drift.html or "",
                       "check.json": _jsonable({"decision": decision.as_dict(), "accuracy": accuracy,
                                                "scores": drift.scores, "drifted": drift.drifted})},
            artifact_location=None if root is None else f"{root.rstrip('/')}/{model}-monitoring",
        )
        # The version points at its latest check, so the MLflow UI leads from model to report.
        registry.tag_version(model, champion.version, {"gridflow.monitoring.last_run_id": run_id,
                                                       "gridflow.monitoring.last_action": decision.action})
        link = registry.run_url(settings.mlflow_ui_url, experiment_id, run_id)
    with warehouse().begin() as conn:
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
            flow_run_id=str(flow_run.get_id() or "") or None,
            mlflow_run_id=run_id,
        )
    return CheckRecord(check_id, run_id, link)


@task(name="trigger-retrain", task_run_name="trigger-retrain-{model}", **LIGHT)
def trigger_retrain(
    model: str, decision: MonitorDecision, record: CheckRecord, champion: Champion, drift: DriftMeasure,
) -> str | None:
    """Emit `gridflow.model.drift.detected` (the retrain deployment's trigger) and mark the check;
    returns the event id."""
    event = emit_event(
        event=DRIFT_EVENT,
        resource={"prefect.resource.id": f"gridflow.model.{model}"},
        payload={"model": model, "reason": decision.reason, "drift_share": decision.drift_share,
                 "drifted_features": drift.drifted, "prediction_drift": drift.prediction_drift,
                 "accuracy_degradation": decision.accuracy_degradation,
                 "champion_version": champion.version, "check_id": record.check_id,
                 "mlflow_run_id": record.mlflow_run_id},
    )
    with warehouse().begin() as conn:
        drift_checks.mark_triggered(conn, record.check_id)
    log().info("%s: emitted %s (%s)", model, DRIFT_EVENT, None if event is None else event.id)
    return None if event is None else str(event.id)


@task(name="publish-model-health", task_run_name="publish-health-{model}", **LIGHT)
def publish_health(
    model: str, decision: MonitorDecision, record: CheckRecord, champion: Champion | None,
    drift: DriftMeasure | None, accuracy: dict[str, Any] | None, event_id: str | None,
) -> str:
    """The verdict as a markdown artifact, and the keyed model-health table of recent checks."""
    slug = model.replace("_", "-")
    markdown = render_check_markdown(model, decision, record, champion, drift, accuracy, event_id)
    create_markdown_artifact(key=f"drift-check-{slug}", markdown=markdown,
                             description=f"{model}: {decision.action}")
    with warehouse().connect() as conn:
        history = drift_checks.check_history(conn, model, limit=30)
    create_table_artifact(key=f"model-health-{slug}", table=[_health_row(r) for r in history],
                          description=f"{model}: the last {len(history)} drift/accuracy checks, newest first")
    return markdown


def render_check_markdown(
    model: str, decision: MonitorDecision, record: CheckRecord, champion: Champion | None,
    drift: DriftMeasure | None, accuracy: dict[str, Any] | None, event_id: str | None,
) -> str:
    """One check as markdown: verdict and reason, drift per feature, accuracy, links."""
    version = "(none)" if champion is None else f"v{champion.version}"
    lines = [f"# {model} {version}: {decision.action.upper()}", "", f"**Why:** {decision.reason}", ""]
    if event_id:
        lines += [f"Retrain requested: event `{DRIFT_EVENT}` `{event_id}`.", ""]
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


def _run_metrics(decision: MonitorDecision, drift: DriftMeasure, accuracy: dict[str, Any] | None) -> dict[str, float]:
    metrics = {"drift_share": drift.share, "prediction_drift": drift.prediction_drift,
               "accuracy_degradation": decision.accuracy_degradation}
    metrics |= {f"current_{k}": v for k, v in ((accuracy or {}).get("current") or {}).items()}
    metrics |= {f"drift_{k}": v for k, v in drift.scores.items()}
    return {k: float(v) for k, v in metrics.items() if v is not None and np.isfinite(v)}


def _instant(text: str | None) -> datetime | None:
    return None if text in (None, "NaT") else pd.Timestamp(text).to_pydatetime()


def _fmt(value: Any) -> str:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "-"
    return f"{value:.3g}" if isinstance(value, float | int) else str(value)


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))

