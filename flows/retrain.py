"""DAG: dataset -> validate -> features -> train -> backtest (folds fanned out on the task runner)
-> evaluate vs champion -> register
-> gate -> [operator approval, if the model asks for it] -> promote or keep -> report.
One flow for every use case."""

from __future__ import annotations

from prefect import flow
from prefect.runtime import flow_run
from prefect.states import Completed, State

from gridflow import run_names, run_outcomes
from gridflow.registry.approval import apply_approval
from gridflow.task_runners import task_runner
from gridflow.training.results import RetrainResult
from tasks.approval import await_operator_approval
from tasks.training import (
    apply_decision,
    backtest_part,
    build_features,
    evaluate_against_champion,
    gate_challenger,
    join_backtest,
    load_training_data,
    one_retrain_at_a_time,
    plan_backtest,
    publish_evaluation_report,
    register_challenger,
    train_challenger,
    validate_training_data,
)


def _run_name() -> str:
    return run_names.retrain_name(flow_run.parameters.get("model", "load_forecast"),
                                  flow_run.parameters.get("trigger"))


@flow(name="retrain", flow_run_name=_run_name, task_runner=task_runner(), log_prints=True)
def retrain(model: str = "load_forecast", trigger: str = "manual", run_key: str | None = None
            ) -> State[RetrainResult]:
    """Train a challenger for `model`, compare it with the champion and promote it through the gate;
    a `run_key` (a fleet run's zone) registers at most one version, however often the run repeats.
    Ends COMPLETED, named `Promoted`, `Kept` or `Rejected`; calling it returns the RetrainResult."""
    with one_retrain_at_a_time(model):  # however the run started: CLI, deployment, trigger, fleet
        data = load_training_data(model)
        validation = validate_training_data(model, data)
        features = build_features(model, data)
        fitted = train_challenger(model, features)
        backtest = join_backtest(model, [backtest_part.submit(model, features, part)
                                         for part in plan_backtest(model, features)])
        evaluation = evaluate_against_champion(model, fitted, features, backtest)
        logged = register_challenger(model, fitted, evaluation, data, validation, features, trigger, run_key)
        gate = gate_challenger(model, evaluation, logged)
        approval = await_operator_approval(model, gate)
        decision = apply_approval(gate, approval)
        move = apply_decision(model, decision, logged, evaluation, trigger, approval)
        # The compare-and-set turns a pass into a rejection when the champion moved since evaluation.
        decision = move.decision or decision
        publish_evaluation_report(model, evaluation, decision, logged, move, trigger)
    result = RetrainResult(model=model, version=logged.version, decision=decision, evaluation=evaluation,
                           audit_id=move.audit_id, mlflow_run_id=logged.run_id, experiment_id=logged.experiment_id)
    return Completed(data=result, name=run_outcomes.retrain_state_name(gate.promote, move.action),
                     message=run_outcomes.state_message(decision.reason))
