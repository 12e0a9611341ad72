"""The monitor's accuracy: production error from issued forecasts when the use case has them,
else recomputed on the window, and the result says which one was used."""

from __future__ import annotations

import numpy as np
import pandas as pd

from gridflow.monitoring.measure import measure_accuracy
from gridflow.monitoring.reference import PREDICTION
from gridflow.monitoring.types import Champion, Window
from gridflow.registry.gate import GateThresholds

CHAMPION = Champion("4", "run", None, {"backtest_mean_model_mape": 5.0}, {})


class UseCase:
    name = "load_forecast"
    target = "target"
    gate = GateThresholds(metric="mape", greater_is_better=False, min_relative_improvement=0.01)

    def __init__(self, issued=None):
        self.issued = issued
        self.asked = []

    def score(self, rows, predictions):
        actual = rows[self.target].to_numpy()
        return {"mape": float(np.mean(np.abs(predictions - actual) / actual) * 100), "rmse": 1.0}

    def issued_accuracy(self, engine, window, champion):
        self.asked.append((engine, champion.version))
        return self.issued


WINDOW = Window(pd.DataFrame({"target": [100.0, 200.0, np.nan], PREDICTION: [110.0, 180.0, 150.0]}),
                "2025-01-01 05:00:00+00:00", "2025-01-15 04:00:00+00:00", 500)


def test_without_an_engine_or_issued_rows_the_window_is_recomputed():
    result = measure_accuracy(UseCase(), WINDOW, CHAMPION)
    assert result["source"] == "recomputed" and result["metric"] == "mape"
    assert result["current_error"] == 10.0 and result["rows"] == 2
    assert result["reference_error"] == 5.0 and result["reference_source"] == "backtest_mean_model_mape"
    case = UseCase(issued=None)
    result = measure_accuracy(case, WINDOW, CHAMPION, engine="engine")
    assert case.asked == [("engine", "4")]
    assert result["source"] == "recomputed" and "no issued forecast" in result["detail"]


def test_issued_rows_give_the_production_error_the_decision_uses():
    issued = {"source": "issued", "metric": "mape", "rows": 48, "current": {"mape": 7.5, "rmse": 2.0},
              "current_error": 7.5, "per_day": [], "detail": "48 issued hours of v4 with actuals"}
    result = measure_accuracy(UseCase(issued), WINDOW, CHAMPION, engine="engine")
    assert result["source"] == "issued" and result["metric"] == "issued mape"
    assert result["current_error"] == 7.5 and result["rows"] == 48
    assert result["reference_error"] == 5.0  # the reference stays the champion's backtest figure
    assert result["recomputed_error"] == 10.0
