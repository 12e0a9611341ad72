"""Tasks of the generic retrain flow: data, validation, features, fit, evaluation, registry, gate."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd
from prefect import task
from prefect.artifacts import create_markdown_artifact
from prefect.events import emit_event
from prefect.runtime import flow_run
from sqlalchemy.engine import make_url

from gridflow.config import get_settings
from gridflow.errors import ValidationFailed
from gridflow.frames import INTERVAL_START_LOCAL, INTERVAL_START_UTC, ZONE
from gridflow.monitoring.reference import PREDICTION, REFERENCE_PATH, REFERENCE_ROWS, sample_by_strata
from gridflow.provenance import git_commit, lock_file_sha256
from gridflow.registry import mlflow_registry as registry
from gridflow.registry.approval import Approval
from gridflow.registry.gate import GateDecision, decide_promotion
from gridflow.registry.promotion import AliasMove, apply_gate_decision
from gridflow.usecases import get_use_case
from gridflow.usecases.base import Evaluation, Fitted
from gridflow.validation import gx_adapter
from gridflow.validation.report import ValidationReport
from tasks.common import LIGHT, WORK, log, mlflow_ready, warehouse


@dataclass(frozen=True)
class TrainingData:
    """A snapshot of the training data with a content digest for lineage."""

    frame: pd.DataFrame
    digest: str
    source: str


@task(name="load-training-data", task_run_name="load-training-data-{model}", **WORK)
def load_training_data(model: str) -> TrainingData:
    """Read the use case's dataset from the warehouse and fingerprint it."""
    use_case = get_use_case(model)
    with warehouse().connect() as conn:
        frame = use_case.load_dataset(conn)
    digest = f"{int(pd.util.hash_pandas_object(frame, index=False).sum()) & (2**64 - 1):016x}"
    url = make_url(get_settings().warehouse_url).render_as_string(hide_password=True)
    source = f"{url}#{use_case.dataset}"
    log().info("%s: %d rows from %s (digest %s)", model, len(frame), source, digest)
    return TrainingData(frame, digest, source)


@task(name="validate-training-data", task_run_name="validate-training-data-{model}", **LIGHT)
def validate_training_data(model: str, data: TrainingData) -> ValidationReport:
    """Run the use case's suite; a failure stops the run before any training."""
    use_case = get_use_case(model)
    report = gx_adapter.validate_frame(use_case.validation_view(data.frame), use_case.suite)
    if not report.success:
        raise ValidationFailed(use_case.dataset, [fl.as_dict() for fl in report.failures])
    log().info(report.reason)
    return report


@task(name="build-features", task_run_name="build-features-{model}", **WORK)
def build_features(model: str, data: TrainingData) -> pd.DataFrame:
    """Feature rows as known at forecast issue time."""
    return get_use_case(model).build_features(data.frame)


@task(name="train-challenger", task_run_name="train-challenger-{model}", **WORK)
def train_challenger(model: str, features: pd.DataFrame) -> Fitted:
    """Fit the challenger on the rows before the evaluation window."""
    use_case = get_use_case(model)
    train, _ = use_case.split(features)
    fitted = use_case.fit(train)
    log().info("fitted %s on %d rows in %.1f s", model, fitted.train_rows, fitted.fit_seconds)
    return fitted


@task(name="backtest-challenger", task_run_name="backtest-{model}", **WORK)
def backtest_challenger(model: str, features: pd.DataFrame) -> list[dict[str, Any]]:
    """Rolling-origin backtest of the same estimator: how stable the holdout figure is."""
    table = get_use_case(model).backtest(features)
    return json.loads(table.to_json(orient="records", date_format="iso")) if not table.empty else []


@task(name="evaluate-against-champion", task_run_name="evaluate-{model}", **WORK)
def evaluate_against_champion(
    model: str, fitted: Fitted, features: pd.DataFrame, backtest: list[dict[str, Any]]
) -> Evaluation:
    """Score challenger, current champion and naive baseline on the same evaluation window."""
    mlflow_ready()
    use_case = get_use_case(model)
    _, holdout = use_case.split(features)
    columns = use_case.feature_columns()
    challenger = use_case.score(holdout, fitted.model.predict(holdout[columns]))
    baseline = use_case.score(holdout, use_case.baseline_predictions(holdout))
    champion_metrics, champion_version, note = None, None, None
    current = registry.alias_version(model, registry.CHAMPION)
    if current is not None:
        champion_version = current.version
        loaded = registry.load_model(model, current.version)
        needed = registry.model_input_columns(loaded) or columns
        missing = sorted(set(needed) - set(holdout.columns))
        if missing:
            note = f"champion v{current.version} needs columns this data lacks: {missing}"
        else:
            champion_metrics = use_case.score(holdout, loaded.predict(holdout[needed]))
    times = holdout["interval_start_utc"]
    return Evaluation(
        window_start_utc=str(times.min()), window_end_utc=str(times.max()), rows=len(holdout),
        challenger=challenger, baseline=baseline, champion=champion_metrics,
        champion_version=champion_version, champion_note=note, backtest=backtest,
    )


@task(name="register-challenger", task_run_name="register-challenger-{model}", **WORK)
def register_challenger(
    model: str,
    fitted: Fitted,
    evaluation: Evaluation,
    data: TrainingData,
    validation: ValidationReport,
    features: pd.DataFrame,
    trigger: str,
) -> registry.LoggedModel:
    """Log the run to MLflow (params, metrics, lineage, model) and alias the version `challenger`."""
    settings = get_settings()
    mlflow_ready()
    use_case = get_use_case(model)
    experiment_id = registry.ensure_experiment(model, _artifact_location(settings, model))
    train, _ = use_case.split(features)
    columns = use_case.feature_columns()
    metrics = {f"holdout_{k}": v for k, v in evaluation.challenger.items()}
    metrics |= {f"baseline_{k}": v for k, v in evaluation.baseline.items()}
    metrics |= {f"backtest_mean_{k}": v for k, v in _backtest_means(evaluation.backtest).items()}
    metrics["fit_seconds"] = fitted.fit_seconds
    metrics["train_rows"] = float(fitted.train_rows)
    logged = registry.log_challenger(
        model_name=model,
        experiment_id=experiment_id,
        model=fitted.model,
        params={**fitted.params, **use_case.params(), "features": ",".join(columns),
                # The drift monitor counts the rows that landed after this instant.
                "train_end_utc": fitted.train_end_utc},
        metrics={k: v for k, v in metrics.items() if v is not None and math.isfinite(v)},
        tags={
            "gridflow.git_commit": git_commit(),
            "gridflow.lock_sha256": lock_file_sha256(),
            "gridflow.trigger": trigger,
            "gridflow.data_digest": data.digest,
            "gridflow.validation": "passed" if validation.success else "failed",
            "prefect.flow_run_id": str(flow_run.get_id() or ""),
        },
        training_frame=train[[*columns, use_case.target]],
        training_source={"warehouse": data.source, "digest": data.digest},
        target=use_case.target,
        input_example=train[columns].tail(5),
        artifacts={
            "validation.json": validation.as_dict(),
            "evaluation.json": _jsonable(asdict(evaluation)),
        },
        frames={REFERENCE_PATH: _reference_frame(train, columns, use_case.target, fitted)},
        run_name=f"{model}-{flow_run.get_name() or 'local'}",
    )
    log().info("registered %s version %s (run %s)", model, logged.version, logged.run_id)
    return logged


@task(name="decide-promotion", task_run_name="gate-{model}", **LIGHT)
def gate_challenger(model: str, evaluation: Evaluation, logged: registry.LoggedModel) -> GateDecision:
    """The promotion gate on the primary metric, champion and baseline on the same window."""
    use_case = get_use_case(model)
    metric = use_case.gate.metric
    decision = decide_promotion(
        use_case.gate,
        challenger=evaluation.challenger[metric],
        baseline=evaluation.baseline.get(metric),
        champion=None if evaluation.champion is None else evaluation.champion[metric],
        challenger_version=logged.version,
        champion_version=evaluation.champion_version,
    )
    if evaluation.champion is None and evaluation.champion_version is not None:
        # A champion we could not score is not "no champion": never replace it silently.
        decision = GateDecision(False, metric, decision.challenger, None, decision.baseline,
                                logged.version, evaluation.champion_version,
                                f"champion could not be scored on this window ({evaluation.champion_note}); "
                                "an operator must compare them")
    log().info("gate: %s - %s", decision.action, decision.reason)
    return decision


@task(name="apply-decision", task_run_name="apply-decision-{model}", **WORK)
def apply_decision(
    model: str, decision: GateDecision, logged: registry.LoggedModel, evaluation: Evaluation, trigger: str,
    approval: Approval | None = None,
) -> AliasMove:
    """Move the `champion` alias on a pass, record the decision either way, and announce it.

    With an operator's `approval`, the operator is the decision's actor and the answer is kept in
    the audit row and on the model version's tags."""
    mlflow_ready()
    metrics = {"challenger": evaluation.challenger, "champion": evaluation.champion,
               "baseline": evaluation.baseline, "window": [evaluation.window_start_utc, evaluation.window_end_utc]}
    if approval is not None:
        metrics["approval"] = approval.as_dict()
        registry.tag_version(model, logged.version, approval.tags())
    move = apply_gate_decision(
        warehouse(), decision, model_name=model,
        actor=approval.approver if approval is not None else get_settings().actor,
        trigger=trigger, mlflow_run_id=logged.run_id, metrics=metrics,
    )
    emit_event(
        event="gridflow.model.promoted" if decision.promote else "gridflow.model.promotion.rejected",
        resource={"prefect.resource.id": f"gridflow.model.{model}"},
        payload={"version": logged.version, "reason": decision.reason, "audit_id": move.audit_id},
    )
    return move


@task(name="publish-evaluation-report", task_run_name="report-{model}", **LIGHT)
def publish_evaluation_report(
    model: str, evaluation: Evaluation, decision: GateDecision, logged: registry.LoggedModel,
    move: AliasMove, trigger: str,
) -> str:
    """Markdown artifact: champion vs challenger vs baseline, the gate's decision and reason, links."""
    settings = get_settings()
    link = registry.run_url(settings.mlflow_ui_url, logged.experiment_id, logged.run_id)
    use_case = get_use_case(model)
    markdown = render_evaluation_markdown(
        model, evaluation, decision, logged, move, trigger, link,
        baseline_label=getattr(use_case, "baseline_label", "seasonal-naive baseline"),
        rows_label=getattr(use_case, "rows_label", "hourly targets"),
    )
    create_markdown_artifact(key=f"{model.replace('_', '-')}-evaluation", markdown=markdown,
                             description=f"{model}: {decision.action} v{logged.version}")
    return markdown


def render_evaluation_markdown(
    model: str, evaluation: Evaluation, decision: GateDecision, logged: registry.LoggedModel,
    move: AliasMove, trigger: str, mlflow_link: str,
    baseline_label: str = "seasonal-naive baseline", rows_label: str = "hourly targets",
) -> str:
    """The evaluation report as markdown (also printed by the CLI); the labels name the use case's
    baseline and evaluation rows."""
    names = list(evaluation.challenger)
    champion = evaluation.champion or {}
    rows = [
        "| metric | challenger v{} | champion {} | {} |".format(
            logged.version, f"v{evaluation.champion_version}" if evaluation.champion_version else "(none)",
            baseline_label),
        "|---|---:|---:|---:|",
    ]
    for name in names:
        rows.append(f"| {name} | {_num(evaluation.challenger.get(name))} | {_num(champion.get(name))} | "
                    f"{_num(evaluation.baseline.get(name))} |")
    lines = [
        f"# {model}: {decision.action.upper()} challenger v{logged.version}",
        "",
        f"**Gate decision:** {decision.action} — {decision.reason}",
        "",
        f"**Champion now:** v{move.to_version if decision.promote else (move.from_version or '(none)')}"
        f" · audit row {move.audit_id} · trigger: {trigger}",
        "",
        f"Evaluation window {evaluation.window_start_utc} → {evaluation.window_end_utc} (UTC),"
        f" {evaluation.rows} {rows_label}, same window for every column.",
        "",
        *rows,
        "",
        f"MLflow run: [{logged.run_id}]({mlflow_link})",
    ]
    if evaluation.champion_note:
        lines += ["", f"Note: {evaluation.champion_note}"]
    if evaluation.backtest:
        keys = list(evaluation.backtest[0])
        lines += ["", "## Rolling-origin backtest", "", "| " + " | ".join(keys) + " |",
                  "|" + "---|" * len(keys)]
        lines += ["| " + " | ".join(_num(r.get(k)) for k in keys) + " |" for r in evaluation.backtest]
    return "\n".join(lines) + "\n"


def _reference_frame(train: pd.DataFrame, columns: list[str], target: str, fitted: Fitted) -> pd.DataFrame:
    # What the drift monitor compares every later window with: the very rows the model learnt
    # from (sampled by local hour x day type) and what the model said about them.
    rows = train[train[target].notna()]
    keep = [c for c in (ZONE, INTERVAL_START_UTC, INTERVAL_START_LOCAL) if c in rows.columns]
    sample = sample_by_strata(rows[[*keep, *columns, target]], REFERENCE_ROWS).reset_index(drop=True)
    sample[PREDICTION] = np.asarray(fitted.model.predict(sample[columns]), dtype="float64")
    return sample


def _backtest_means(backtest: list[dict[str, Any]]) -> dict[str, float]:
    if not backtest:
        return {}
    frame = pd.DataFrame(backtest).select_dtypes("number")
    # Fold numbers and row counts are bookkeeping, not skill: only the scores are averaged.
    return {k: float(v) for k, v in frame.mean().items() if k.startswith(("model_", "naive_"))}


def _artifact_location(settings: Any, model: str) -> str | None:
    root = settings.mlflow_artifact_root
    return None if root is None else f"{root.rstrip('/')}/{model}"


def _num(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float | np.floating):
        return f"{value:,.4g}" if abs(value) < 1000 else f"{value:,.0f}"
    return str(value)


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


