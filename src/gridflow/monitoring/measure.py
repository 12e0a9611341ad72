"""What the monitor measures on the current window: feature and prediction drift, and accuracy."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from gridflow.monitoring import evidently_adapter
from gridflow.monitoring.reference import PREDICTION, clock_column, sample_by_strata, seasonal_slice
from gridflow.monitoring.types import Champion, DriftMeasure, Window
from gridflow.runtime import log

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from gridflow.usecases.base import UseCase

SAMPLE_ROWS = 10_000
SOURCE_RECOMPUTED = "recomputed"


def measure_drift(use_case: UseCase, reference: pd.DataFrame, window: Window) -> DriftMeasure:
    """Per-feature and prediction drift on stratified samples of both sides (<= 10,000 rows each)."""
    columns = [c for c in use_case.drift_columns() if c in reference.columns]
    current = window.frame
    months = set(pd.to_datetime(current[clock_column(current)]).dt.month)
    ref = seasonal_slice(reference, months)
    threshold = use_case.monitor.drift_threshold or evidently_adapter.DEFAULT_THRESHOLD
    result = evidently_adapter.compute_drift(
        sample_by_strata(ref, SAMPLE_ROWS, seed=0),
        sample_by_strata(current, SAMPLE_ROWS, seed=1),
        [*columns, PREDICTION],
        threshold=threshold,
        with_html=True,
    )
    scores = {c: s for c, s in result.scores.items() if c != PREDICTION}
    drifted = [c for c in result.drifted if c != PREDICTION]
    measure = DriftMeasure(result.method, result.threshold, scores, drifted, len(ref), len(current), result.html,
                           prediction_drift=result.scores.get(PREDICTION))
    log().info("%s: drift share %.0f%% (%s), prediction drift %s", use_case.name, measure.share * 100,
               ", ".join(drifted) or "none", measure.prediction_drift)
    return measure


def measure_accuracy(
    use_case: UseCase, window: Window, champion: Champion, engine: Engine | None = None,
) -> dict[str, Any]:
    """The champion's error beside its own backtest figure: from its issued forecasts where their
    actuals have landed (production error, via the use case's `issued_accuracy` hook), else
    recomputed on the window's rows with actuals. `source` and `detail` say which one was used."""
    metric = use_case.gate.metric
    rows = window.frame[window.frame[use_case.target].notna()]
    reference, source = None, None
    for name in (f"backtest_mean_model_{metric}", f"holdout_{metric}"):
        if name in champion.metrics:
            reference, source = float(champion.metrics[name]), name
            break
    current = use_case.score(rows, rows[PREDICTION].to_numpy()) if len(rows) else {}
    recomputed = {"metric": metric, "rows": len(rows), "current": current, "current_error": current.get(metric),
                  "reference_error": reference, "reference_source": source}
    issued = None if engine is None else use_case.issued_accuracy(engine, window, champion)
    if issued is None:
        detail = (f"recomputed: champion v{champion.version} re-scored on {len(rows)} window hours with actuals"
                  + ("" if engine is None else "; no issued forecast of it has actuals in the window yet"))
        log().info("%s accuracy %s", use_case.name, detail)
        return {**recomputed, "source": SOURCE_RECOMPUTED, "detail": detail}
    log().info("%s accuracy from issued forecasts: %s", use_case.name, issued.get("detail"))
    # The decision reads `metric` into its reason, so the reason itself says production error was used.
    return {**issued, "metric": f"issued {issued.get('metric', metric)}", "reference_error": reference,
            "reference_source": source, "recomputed_error": recomputed["current_error"],
            "recomputed_rows": len(rows)}
