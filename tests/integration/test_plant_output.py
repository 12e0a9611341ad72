"""The shipped UCI plant file goes through `gridflow ingest plant` into the warehouse, and the generic
retrain flow trains, gates and registers `plant_output` on it against a real Prefect server and MLflow
store: the first version beats linear regression and is promoted, an identical retrain is not."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

SHIPPED = Path(__file__).resolve().parents[2] / "data" / "ccpp" / "Folds5x2_pp.csv"


def test_ingest_then_retrain_promotes_a_model_that_beats_linear_regression(gridflow_env, monkeypatch, tmp_path):
    from typer.testing import CliRunner

    from flows.ingest_plant import ingest_plant_hourly
    from flows.retrain import retrain
    from gridflow.config import reset_settings
    from gridflow.errors import ValidationFailed
    from gridflow.registry import mlflow_registry as registry
    from gridflow.warehouse.plants import count_plant_readings
    from gridflow_cli.main import app
    from tasks.common import mlflow_ready, warehouse

    # A 2x2 CV and a smaller booster keep the run short; the shipped settings' accuracy bar is
    # tests/unit/usecases/test_plant_output_usecase.py.
    monkeypatch.setenv("GRIDFLOW_PLANT_OUTPUT__CV_REPEATS", "2")
    monkeypatch.setenv("GRIDFLOW_PLANT_OUTPUT__XGB_PARAMS",
                       '{"n_estimators": 250, "learning_rate": 0.1, "max_bin": 256, "vacuum_folds": 3}')
    reset_settings()

    first = CliRunner().invoke(app, ["ingest", "plant", str(SHIPPED)])
    assert first.exit_code == 0, first.output
    assert "loaded: 9568 rows written" in first.output
    assert ingest_plant_hourly(str(SHIPPED)).status == "skipped"  # same content: the ledger says so

    # The same rows in another order under the workbook's other header: new content, no new row.
    lines = SHIPPED.read_text().splitlines()
    reordered = tmp_path / "Folds5x2_pp_Sheet1_style.csv"
    reordered.write_text("\n".join(["AT,V,AP,RH,PE", *reversed(lines[1:])]) + "\n")
    assert ingest_plant_hourly(str(reordered)).status == "loaded"

    broken = tmp_path / "output_in_kw.csv"
    broken.write_text("\n".join([lines[0], lines[1].replace("480.48", "480480", 1), *lines[2:5]]) + "\n")
    with pytest.raises(ValidationFailed):
        ingest_plant_hourly(str(broken))
    with warehouse().connect() as conn:
        assert count_plant_readings(conn) == 9568  # neither the reordered nor the bad file added a row

    result = retrain(model="plant_output", trigger="test: shipped CCPP readings")
    decision, evaluation = result.decision, result.evaluation
    assert decision.action == "promote", decision.reason
    assert decision.metric == "rmse" and "no champion yet" in decision.reason
    assert evaluation.challenger["rmse"] < 0.8 * evaluation.baseline["rmse"]
    assert 4.2 < evaluation.baseline["rmse"] < 4.8  # linear regression, fitted on the training side
    summary = evaluation.backtest[-1]
    assert summary["repeat"] == 0 and len(evaluation.backtest) == 5
    assert summary["model_rmse_ci95_high"] < summary["naive_rmse_ci95_low"]

    mlflow_ready()
    champion = registry.alias_version("plant_output", registry.CHAMPION)
    assert champion is not None and champion.version == result.version
    assert champion.metrics["holdout_rmse"] == pytest.approx(evaluation.challenger["rmse"])
    assert champion.metrics["backtest_mean_model_rmse_ci95_high"] == pytest.approx(summary["model_rmse_ci95_high"])

    # Same data, same settings: the challenger equals the champion (deterministic booster), which is
    # scored from the registry on the same holdout, and the gate keeps the champion.
    again = retrain(model="plant_output", trigger="test: nothing new")
    assert again.evaluation.champion is not None
    assert again.evaluation.champion["rmse"] == pytest.approx(evaluation.challenger["rmse"])
    assert again.decision.action == "reject", again.decision.reason
    assert registry.alias_version("plant_output", registry.CHAMPION).version == result.version
