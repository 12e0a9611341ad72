"""Challenger, champion and baseline scored on the same evaluation window."""

from __future__ import annotations

from typing import Any

import pandas as pd

from gridflow.registry import mlflow_registry as registry
from gridflow.runtime import mlflow_ready
from gridflow.usecases.base import Evaluation, Fitted, UseCase


def evaluate_against_champion(
    use_case: UseCase, fitted: Fitted, features: pd.DataFrame, backtest: list[dict[str, Any]]
) -> Evaluation:
    """Score the challenger, the current champion (if any) and the naive baseline on the holdout."""
    mlflow_ready()
    model = use_case.name
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
