"""Real ERCOT DAM prices (HB_HOUSTON, HB_NORTH, 2022 Q1) written to a SQLite warehouse through the
market_price write path, then the generic retrain flow trains, validates (ercot_dam_spp), gates and
registers `price_forecast` against a real Prefect server and MLflow store; the champion then loads
back from the registry and keeps its place against an identical challenger. The drift monitor then
checks that champion on the same warehouse, and on a later, shifted price regime (x3 + 50 $/MWh)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

pytestmark = pytest.mark.integration

EXCERPT = Path(__file__).resolve().parents[1] / "fixtures" / "prices" / "ercot_dam_hubs_2022q1.csv"


def test_retrain_registers_a_price_forecast_that_beats_the_day_before(gridflow_env, monkeypatch):
    from flows.monitor_drift import monitor_drift
    from flows.retrain import retrain
    from gridflow.config import reset_settings
    from gridflow.prices.issue_features import PRICE_FEATURES
    from gridflow.prices.scenario import shifted_prices
    from gridflow.registry import mlflow_registry as registry
    from gridflow.usecases.catalog import get_use_case
    from gridflow.warehouse.markets import read_market_prices, write_market_prices
    from tasks.common import mlflow_ready, warehouse

    settings = {"NODES": '["HB_HOUSTON", "HB_NORTH"]', "HOLDOUT_DAYS": "14", "BACKTEST_FOLDS": "1",
                "XGB_PARAMS": '{"n_estimators": 40}'}
    for key, value in settings.items():
        monkeypatch.setenv(f"GRIDFLOW_PRICE_FORECAST__{key}", value)
    reset_settings()

    prices = pd.read_csv(EXCERPT, dtype={"node": str, "market": str})
    prices = prices.assign(interval_start_utc=pd.to_datetime(prices["interval_start_utc"], utc=True),
                           interval_start_local=pd.to_datetime(prices["interval_start_local"]))
    with warehouse().begin() as conn:
        assert write_market_prices(conn, prices, None) == len(prices) == 4318
    with warehouse().connect() as conn:
        stored = read_market_prices(conn, "ERCOT_DAM", ["HB_NORTH"])
    assert len(stored) == 2159 and stored["interval_start_utc"].is_monotonic_increasing

    result = retrain(model="price_forecast", trigger="test: ERCOT hubs 2022 Q1")
    decision, evaluation = result.decision, result.evaluation
    assert decision.action == "promote", decision.reason
    assert decision.metric == "mae"
    assert evaluation.challenger["mae"] < evaluation.baseline["mae"]
    assert evaluation.rows == 2 * 14 * 24
    assert evaluation.backtest[0]["origin"] == "2022-02-01"

    mlflow_ready()
    champion = registry.alias_version("price_forecast", registry.CHAMPION)
    assert champion is not None and champion.version == result.version
    assert champion.metrics["holdout_mae"] == pytest.approx(evaluation.challenger["mae"])
    assert 0.3 < champion.metrics["holdout_coverage_p10_p90"] <= 1.0
    assert "holdout_naive_d7_mae" in champion.metrics
    # What the reviewer sees in the run and the model card: per hub, the last two weeks and the error by hour.
    import mlflow

    logged = {a.path for a in mlflow.MlflowClient().list_artifacts(result.mlflow_run_id, "plots")}
    assert {f"plots/{hub}_{kind}.png" for hub in ("HB_HOUSTON", "HB_NORTH")
            for kind in ("last_two_weeks", "error_by_hour")} <= logged, logged

    # The champion is read back from the registry (a gridflow estimator under skops) and scored on the
    # same holdout: the identical challenger cannot beat it by 1 %.
    again = retrain(model="price_forecast", trigger="test: nothing new")
    assert again.evaluation.champion is not None
    assert again.evaluation.champion["mae"] == pytest.approx(evaluation.challenger["mae"])
    assert again.decision.action == "reject", again.decision.reason

    # The daily check on what the champion has seen: its window is the holdout's two weeks.
    use_case = get_use_case("price_forecast")
    check = monitor_drift(model="price_forecast", window_days=14)
    print("first check:", check.action, "-", check.reason, "| accuracy:", check.accuracy)
    with warehouse().connect() as conn:
        row = conn.execute(sa.text("SELECT model_name, model_version, action, triggered, current_rows, "
                                   "feature_scores FROM drift_check WHERE id = :id"), {"id": check.check_id}).one()
    assert check.champion_version == str(result.version)
    assert check.action == "ok" and check.event_id is None, check.reason
    assert check.accuracy["metric"] == "mae" and check.accuracy["source"] == "recomputed"
    assert check.accuracy["current_error"] == pytest.approx(evaluation.challenger["mae"])
    assert (row.model_name, row.model_version, row.action, row.triggered) == (
        "price_forecast", str(result.version), "ok", False)
    assert set(json.loads(row.feature_scores)) == set(PRICE_FEATURES) and row.current_rows == 2 * 14 * 24

    # The second half of March again, x3 + 50 $/MWh and re-dated to April: a regime the champion never saw.
    with warehouse().begin() as conn:
        write_market_prices(conn, shifted_prices(prices, "2022-03-14", "2022-04-01", "America/Chicago"), None)
    shocked = monitor_drift(model="price_forecast", window_days=14)
    print("shocked check:", shocked.action, "-", shocked.reason, "| accuracy:", shocked.accuracy)
    assert shocked.action == "retrain", shocked.reason
    assert shocked.event_id is not None and shocked.drift_share >= use_case.monitor.drift_share_retrain
    assert shocked.accuracy["current_error"] > 2 * shocked.accuracy["reference_error"]
