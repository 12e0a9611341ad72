"""Tasks of the generic retrain flow: data, validation, features, fit, evaluation, registry, gate.

Each body calls one function of gridflow.training / gridflow.registry; this module decides names,
retries, cache policy and artifacts."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

import pandas as pd
from prefect import task
from prefect.artifacts import create_markdown_artifact
from prefect.runtime import flow_run

from gridflow import model_limits
from gridflow.config import get_settings
from gridflow.registry.approval import Approval
from gridflow.registry.gate import GateDecision, decide_on_window
from gridflow.registry.mlflow_registry import LoggedModel
from gridflow.registry.promotion import AliasMove
from gridflow.training import card_log, links
from gridflow.training import challenger as fitting
from gridflow.training import data as snapshot
from gridflow.training import decision as settling
from gridflow.training import evaluation as scoring
from gridflow.training import register as registering
from gridflow.training import report as reporting
from gridflow.training.data import TrainingData
from gridflow.usecases.base import Evaluation, Fitted
from gridflow.usecases.catalog import get_use_case
from gridflow.usecases.naming import slug
from gridflow.validation.report import ValidationReport
from tasks.common import LIGHT, WORK, log, warehouse
from tasks.frame_results import FrameResultSerializer

# Tasks returning million-row frames persist them as parquet files by digest, not in the pickle.
FRAME_WORK = {**WORK, "result_serializer": FrameResultSerializer()}


def one_retrain_at_a_time(model: str) -> AbstractContextManager[None]:
    """Hold the model's retrain limit around the flow's work (however the run started): a second
    retrain of the same model waits for this one. Used in the flow body, not a task: it spans them."""
    return model_limits.one_retrain_at_a_time(model, flow_run_id=str(flow_run.get_id() or "") or None)


@task(name="load-training-data", task_run_name="load-training-data-{model}", **FRAME_WORK)
def load_training_data(model: str) -> TrainingData:
    """Read the use case's dataset from the warehouse and fingerprint it."""
    return snapshot.load_training_data(get_use_case(model), warehouse())


@task(name="validate-training-data", task_run_name="validate-training-data-{model}", **LIGHT)
def validate_training_data(model: str, data: TrainingData) -> ValidationReport:
    """Run the use case's suite; a failure stops the run before any training."""
    return snapshot.validate_training_data(get_use_case(model), data)


@task(name="build-features", task_run_name="build-features-{model}", **FRAME_WORK)
def build_features(model: str, data: TrainingData) -> pd.DataFrame:
    """Feature rows as known at forecast issue time."""
    return get_use_case(model).build_features(data.frame)


@task(name="train-challenger", task_run_name="train-challenger-{model}", **WORK)
def train_challenger(model: str, features: pd.DataFrame) -> Fitted:
    """Fit the challenger on the rows before the evaluation window."""
    return fitting.train_challenger(get_use_case(model), features)


@task(name="plan-backtest", task_run_name="plan-backtest-{model}", **LIGHT)
def plan_backtest(model: str, features: pd.DataFrame) -> list[int]:
    """The backtest's independent parts (rolling-origin folds), fanned out on the flow's task runner."""
    return list(range(get_use_case(model).backtest_parts(features)))


@task(name="backtest-part", task_run_name="backtest-{model}-part-{part}", **WORK)
def backtest_part(model: str, features: pd.DataFrame, part: int) -> list[dict[str, Any]]:
    """One part of the rolling-origin backtest of the same estimator: how stable the holdout figure is."""
    return fitting.backtest_part_records(get_use_case(model), features, part)


@task(name="join-backtest", task_run_name="join-backtest-{model}", **LIGHT)
def join_backtest(model: str, parts: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """The parts back in order: one record per fold."""
    return fitting.join_backtest(parts)


@task(name="evaluate-against-champion", task_run_name="evaluate-{model}", **WORK)
def evaluate_against_champion(
    model: str, fitted: Fitted, features: pd.DataFrame, backtest: list[dict[str, Any]]
) -> Evaluation:
    """Score challenger, current champion and naive baseline on the same evaluation window."""
    return scoring.evaluate_against_champion(get_use_case(model), fitted, features, backtest)


@task(name="register-challenger", task_run_name="register-challenger-{model}", **WORK)
def register_challenger(
    model: str,
    fitted: Fitted,
    evaluation: Evaluation,
    data: TrainingData,
    validation: ValidationReport,
    features: pd.DataFrame,
    trigger: str,
    run_key: str | None = None,
) -> LoggedModel:
    """Log the run to MLflow (params, metrics, lineage, model) and alias the version `challenger`."""
    return registering.register_challenger(
        get_use_case(model), fitted, evaluation, data, validation, features, trigger,
        flow_run_id=str(flow_run.get_id() or ""), flow_run_name=flow_run.get_name() or "local", run_key=run_key,
    )


@task(name="decide-promotion", task_run_name="gate-{model}", **LIGHT)
def gate_challenger(model: str, evaluation: Evaluation, logged: LoggedModel) -> GateDecision:
    """The promotion gate on the primary metric, champion and baseline on the same window."""
    decision = decide_on_window(get_use_case(model).gate, evaluation, logged.version)
    log().info("gate: %s - %s", decision.action, decision.reason)
    return decision


@task(name="apply-decision", task_run_name="apply-decision-{model}", **WORK)
def apply_decision(
    model: str, decision: GateDecision, logged: LoggedModel, evaluation: Evaluation, trigger: str,
    approval: Approval | None = None,
) -> AliasMove:
    """Move the `champion` alias on a pass, record the decision either way, and announce it."""
    return settling.settle_decision(warehouse(), model, decision, logged, evaluation, trigger,
                                    actor=get_settings().actor, approval=approval)


@task(name="publish-evaluation-report", task_run_name="report-{model}", **LIGHT)
def publish_evaluation_report(
    model: str, evaluation: Evaluation, decision: GateDecision, logged: LoggedModel, move: AliasMove, trigger: str,
) -> str:
    """The version's model card (logged with it in MLflow, and as an artifact), then the evaluation
    artifact: champion vs challenger vs baseline, the gate's decision and reason, links to card and plots."""
    use_case = get_use_case(model)
    card = card_log.publish_model_card(use_case, evaluation, decision, logged, move, trigger)
    card_id = create_markdown_artifact(key=f"{slug(model)}-model-card", markdown=card_log.card_for_prefect(card),
                                       description=f"{model} v{logged.version}: model card")
    markdown = reporting.evaluation_report(use_case, evaluation, decision, logged, move, trigger, card,
                                           card_artifact_url=links.prefect_artifact_url(get_settings(), card_id))
    create_markdown_artifact(key=f"{slug(model)}-evaluation", markdown=markdown,
                             description=f"{model}: {decision.action} v{logged.version}")
    return markdown
