"""The shipped transformer readings go through `ingest-transformer-readings` into the warehouse, and
the generic retrain flow trains, gates and promotes `transformer_health` on them against a real
Prefect server and MLflow store: the champion beats the IEEE key-gas rule."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

SHIPPED = Path(__file__).resolve().parents[2] / "data" / "transformer" / "transformer_health_index.csv"


def test_ingest_then_retrain_promotes_a_model_that_beats_the_dga_rule(gridflow_env, monkeypatch, tmp_path):
    from flows.ingest_transformers import ingest_transformer_readings
    from flows.retrain import retrain
    from gridflow.config import reset_settings
    from gridflow.errors import ValidationFailed
    from gridflow.registry import mlflow_registry as registry
    from gridflow.warehouse.transformers import read_transformer_readings
    from tasks.common import mlflow_ready, warehouse

    # A 2 x 5 CV keeps the run short; the interval logic is the same as the default 5 x 5.
    monkeypatch.setenv("GRIDFLOW_TRANSFORMER_HEALTH__CV_REPEATS", "2")
    reset_settings()

    first = ingest_transformer_readings(str(SHIPPED))
    assert first.status == "loaded" and first.rows_written == 470
    assert ingest_transformer_readings(str(SHIPPED)).status == "skipped"

    broken = tmp_path / "negative_gas.csv"
    lines = SHIPPED.read_text().splitlines()
    broken.write_text("\n".join([lines[0], lines[1].replace("2845,", "-2845,", 1), *lines[2:5]]) + "\n")
    with pytest.raises(ValidationFailed):
        ingest_transformer_readings(str(broken))
    with warehouse().connect() as conn:
        stored = read_transformer_readings(conn)
    assert len(stored) == 470 and stored["hydrogen_ppm"].min() >= 0  # the bad batch never landed

    result = retrain(model="transformer_health", trigger="test: shipped readings")
    decision, evaluation = result.decision, result.evaluation
    assert decision.action == "promote", decision.reason
    assert decision.metric == "mae"
    assert evaluation.challenger["mae"] < 0.8 * evaluation.baseline["mae"]
    summary = evaluation.backtest[-1]
    assert summary["repeat"] == 0
    assert summary["model_mae_ci95_high"] < summary["naive_mae_ci95_low"]  # the intervals do not overlap

    mlflow_ready()
    champion = registry.alias_version("transformer_health", registry.CHAMPION)
    assert champion is not None and champion.version == result.version
    assert champion.metrics["holdout_mae"] == pytest.approx(evaluation.challenger["mae"])
    assert champion.metrics["backtest_mean_model_mae_ci95_high"] == pytest.approx(summary["model_mae_ci95_high"])

    # The gradient-boosted challenger on the same readings is judged against that champion.
    monkeypatch.setenv("GRIDFLOW_TRANSFORMER_HEALTH__ESTIMATOR", "xgboost")
    reset_settings()
    boosted = retrain(model="transformer_health", trigger="test: xgboost challenger")
    assert boosted.evaluation.champion is not None
    assert boosted.evaluation.champion["mae"] == pytest.approx(evaluation.challenger["mae"])
    needed = evaluation.challenger["mae"] * (1 - 0.01)  # the default min_relative_improvement
    assert (boosted.decision.action == "promote") == (boosted.evaluation.challenger["mae"] <= needed)

    # The weekly drift check (deployment monitor-drift/transformer-health) runs on the champion: the
    # readings it scores are the ones it was trained and evaluated on, so nothing has drifted.
    from flows.monitor_drift import monitor_drift

    check = monitor_drift(model="transformer_health", window_days=90)
    final = registry.alias_version("transformer_health", registry.CHAMPION)
    assert check.champion_version == final.version
    assert check.action == "ok", check.reason
    assert check.drift_share is not None and check.accuracy is not None
    assert check.accuracy["metric"] == "mae" and check.accuracy["rows"] == 470
    assert check.accuracy["current_error"] < check.accuracy["reference_error"] * 1.5
