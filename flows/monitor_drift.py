"""DAG: champion -> reference + current window -> predictions -> drift + accuracy + history ->
decide -> record (warehouse, MLflow report, artifacts) -> on retrain, the drift event that the
`retrain` deployment's trigger answers, and the run it started -> artifacts. Without a champion: a
warning, recorded."""

from __future__ import annotations

from prefect import flow
from prefect.states import Completed, State

from gridflow import run_outcomes
from gridflow.monitoring.types import DriftCheckResult
from tasks.monitoring import (
    build_current_window,
    decide_action,
    find_caused_retrain,
    find_champion,
    gather_history,
    load_reference,
    measure_accuracy,
    measure_drift,
    note_no_champion,
    predict_champion,
    publish_health,
    record_check,
    trigger_retrain,
)


@flow(name="monitor-drift", flow_run_name="monitor-drift-{model}", log_prints=True)
def monitor_drift(model: str = "load_forecast", window_days: int = 14) -> State[DriftCheckResult]:
    """Check the champion of `model` for drift and accuracy over the last `window_days` days and
    ask for a retrain (event `gridflow.model.drift.detected`) when the decision says so. Ends
    COMPLETED, named `Retrain`, `Warn` or `OK`; calling it returns the DriftCheckResult."""
    champion = find_champion(model)
    if champion is None:
        decision = note_no_champion(model)
        record = record_check(model, decision, None, None, None, None)
        publish_health(model, decision, record, None, None, None, None)
        return _concluded(DriftCheckResult(model=model, action=decision.action, reason=decision.reason,
                                           check_id=record.check_id))
    reference = load_reference(model, champion)
    window = predict_champion(model, champion, build_current_window(model, window_days, champion))
    drift = measure_drift(model, reference, window)
    accuracy = measure_accuracy(model, window, champion)
    history = gather_history(model, champion)
    decision = decide_action(model, drift, accuracy, history, window)
    record = record_check(model, decision, champion, drift, accuracy, window)
    event_id = trigger_retrain(model, decision, record, champion, drift) if decision.action == "retrain" else None
    caused = find_caused_retrain(event_id) if event_id is not None else None
    publish_health(model, decision, record, champion, drift, accuracy, event_id, caused)
    return _concluded(DriftCheckResult(
        model=model, action=decision.action, reason=decision.reason, check_id=record.check_id,
        champion_version=champion.version, drift_share=drift.share, drifted_features=drift.drifted,
        prediction_drift=drift.prediction_drift, accuracy=accuracy, event_id=event_id,
        mlflow_run_id=record.mlflow_run_id,
    ))


def _concluded(result: DriftCheckResult) -> State[DriftCheckResult]:
    return Completed(data=result, name=run_outcomes.drift_state_name(result.action),
                     message=run_outcomes.state_message(result.reason))
