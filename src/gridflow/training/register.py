"""Logging a challenger to MLflow: params, metrics, lineage tags, a description linking the Prefect
run, the model, its drift reference, the interval metrics of a use case that forecasts with an
interval, and the use case's holdout figures with the model's feature importance."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, replace
from typing import Any

import numpy as np
import pandas as pd

from gridflow.config import get_settings
from gridflow.frames import INTERVAL_START_LOCAL, INTERVAL_START_UTC, ZONE
from gridflow.monitoring.reference import PREDICTION, REFERENCE_PATH, REFERENCE_ROWS, sample_by_strata
from gridflow.provenance import git_commit, lock_file_sha256
from gridflow.registry import mlflow_registry as registry
from gridflow.runtime import log, mlflow_ready
from gridflow.training import plots
from gridflow.training.data import TrainingData
from gridflow.training.importance import feature_importance
from gridflow.training.links import prefect_flow_run_url, run_description
from gridflow.usecases.base import Evaluation, Fitted, UseCase
from gridflow.validation.report import ValidationReport


def register_challenger(
    use_case: UseCase,
    fitted: Fitted,
    evaluation: Evaluation,
    data: TrainingData,
    validation: ValidationReport,
    features: pd.DataFrame,
    trigger: str,
    *,
    flow_run_id: str,
    flow_run_name: str,
    run_key: str | None = None,
) -> registry.LoggedModel:
    """Log the run to MLflow (params, metrics, lineage, model) and alias the version `challenger`.

    With a `run_key`, a version already registered under that key is reused: the engine may run a
    finished retrain again (a lost Dask worker), and one key must never make two versions."""
    mlflow_ready()
    model = use_case.name
    settings = get_settings()
    root = settings.mlflow_artifact_root
    experiment_id = registry.ensure_experiment(model, None if root is None else f"{root.rstrip('/')}/{model}")
    train, holdout = use_case.split(features)
    columns = use_case.feature_columns()
    recorded = interval_metrics(use_case, fitted, holdout)
    if run_key:
        existing = registry.find_logged(model, experiment_id, run_key)
        if existing is not None:
            # The first run may have stopped between registering and aliasing its version.
            registry.set_alias(model, registry.CHALLENGER, existing.version)
            log().info("%s: version %s was already registered by %s; reused", model, existing.version, run_key)
            return replace(existing, recorded=recorded)
    logged = registry.log_challenger(
        model_name=model,
        experiment_id=experiment_id,
        model=fitted.model,
        params={**fitted.params, **use_case.params(), "features": ",".join(columns),
                # The drift monitor counts the rows that landed after this instant.
                "train_start_utc": fitted.train_start_utc, "train_end_utc": fitted.train_end_utc},
        metrics=run_metrics(fitted, evaluation) | recorded,
        tags={
            "gridflow.git_commit": git_commit(),
            "gridflow.lock_sha256": lock_file_sha256(),
            "gridflow.trigger": trigger,
            "gridflow.data_digest": data.digest,
            "gridflow.validation": "passed" if validation.success else "failed",
            "gridflow.validation_summary": validation.reason.splitlines()[0],
            "gridflow.data_source": data.source,
            "prefect.flow_run_id": flow_run_id,
            "prefect.flow_run_name": flow_run_name,
            # The run's description in the MLflow UI: a link back to the Prefect run that made it.
            registry.DESCRIPTION_TAG: run_description(
                flow_run_name, prefect_flow_run_url(settings, flow_run_id) if flow_run_id else None, trigger),
            **({registry.RUN_KEY_TAG: run_key} if run_key else {}),
        },
        training_frame=train[[*columns, use_case.target]],
        training_source={"warehouse": data.source, "digest": data.digest},
        target=use_case.target,
        input_example=train[columns].tail(5),
        artifacts={
            "validation.json": validation.as_dict(),
            "evaluation.json": json.loads(json.dumps(asdict(evaluation), default=str)),
        },
        frames={REFERENCE_PATH: reference_frame(train, columns, use_case.target, fitted)},
        run_name=f"{model}-{flow_run_name}",
    )
    log_holdout_plots(use_case, fitted, holdout, columns, logged.run_id)
    log().info("registered %s version %s (run %s)", model, logged.version, logged.run_id)
    return replace(logged, recorded=recorded)


def interval_metrics(use_case: UseCase, fitted: Fitted, holdout: pd.DataFrame) -> dict[str, float]:
    """`holdout_`-prefixed interval metrics (coverage, pinball, width, perfect-weather MAPE) of a use
    case that has them; empty otherwise. Finite values only."""
    values = {f"holdout_{k}": v for k, v in use_case.interval_metrics(fitted.model, holdout).items()}
    return {k: float(v) for k, v in values.items() if v is not None and math.isfinite(v)}


def log_holdout_plots(
    use_case: UseCase, fitted: Fitted, holdout: pd.DataFrame, columns: list[str], run_id: str
) -> list[str]:
    """Log the use case's holdout figures and the model's feature importance as images under
    `plots/`; returns the artifact paths."""
    figures = use_case.holdout_figures(fitted.model, holdout)
    importance = feature_importance(fitted.model, columns)
    if importance is not None and importance.sum() > 0:
        figures["plots/feature_importance.png"] = plots.feature_importance(importance, use_case.name)
    try:
        registry.log_figures(run_id, figures)
    finally:
        for figure in figures.values():
            plots.close(figure)
    return list(figures)


def run_metrics(fitted: Fitted, evaluation: Evaluation) -> dict[str, float]:
    """The run's metrics: holdout, baseline and mean backtest scores, fit time and rows (finite only)."""
    metrics = {f"holdout_{k}": v for k, v in evaluation.challenger.items()}
    metrics |= {f"baseline_{k}": v for k, v in evaluation.baseline.items()}
    metrics |= {f"backtest_mean_{k}": v for k, v in _backtest_means(evaluation.backtest).items()}
    metrics["fit_seconds"] = fitted.fit_seconds
    metrics["train_rows"] = float(fitted.train_rows)
    return {k: v for k, v in metrics.items() if v is not None and math.isfinite(v)}


def reference_frame(train: pd.DataFrame, columns: list[str], target: str, fitted: Fitted) -> pd.DataFrame:
    """What the drift monitor compares every later window with: the very rows the model learnt
    from (sampled by local hour x day type) and what the model said about them."""
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
