"""What the monitor measures on the current window: feature and prediction drift, and accuracy."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from gridflow import frames as f
from gridflow.monitoring import evidently_adapter
from gridflow.monitoring.reference import PREDICTION, sample_by_strata, seasonal_slice
from gridflow.monitoring.types import Champion, DriftMeasure, Window
from gridflow.runtime import log

if TYPE_CHECKING:
    from gridflow.usecases.base import UseCase

SAMPLE_ROWS = 10_000


def measure_drift(use_case: UseCase, reference: pd.DataFrame, window: Window) -> DriftMeasure:
    """Per-feature and prediction drift on stratified samples of both sides (<= 10,000 rows each)."""
    columns = [c for c in use_case.drift_columns() if c in reference.columns]
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
    log().info("%s: drift share %.0f%% (%s), prediction drift %s", use_case.name, measure.share * 100,
               ", ".join(drifted) or "none", measure.prediction_drift)
    return measure


def measure_accuracy(use_case: UseCase, window: Window, champion: Champion) -> dict[str, Any]:
    """The champion's metrics where actuals have landed, beside its own backtest figure."""
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
