"""The `transformer_health` use case on the shipped data: features, split, fit, score, CV interval."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gridflow.errors import InsufficientDataError
from gridflow.sources.transformer_dga import parse_transformer_csv
from gridflow.transformers.health_model import BASELINE, FEATURE_COLUMNS, TARGET
from gridflow.usecases.configs import TransformerHealthConfig
from gridflow.usecases.transformer_health import TransformerHealth

SHIPPED = Path(__file__).resolve().parents[3] / "data" / "transformer" / "transformer_health_index.csv"
LOADED_AT = datetime(2026, 12, 1, 8, tzinfo=UTC)


@pytest.fixture(scope="module")
def raw() -> pd.DataFrame:
    """The shipped readings as the warehouse returns them (a load time, no sample date)."""
    frame = parse_transformer_csv(SHIPPED).frame
    return frame.assign(updated_at=pd.Timestamp(LOADED_AT))


def test_features_carry_id_time_inputs_target_and_rule(raw):
    use_case = TransformerHealth()
    feats = use_case.build_features(raw)
    assert len(feats) == 470
    assert {"reading_id", "interval_start_utc", *FEATURE_COLUMNS, TARGET, BASELINE} <= set(feats.columns)
    assert "life_expectation" not in use_case.feature_columns()  # graded with the target, not measured
    assert (feats["interval_start_utc"] == pd.Timestamp(LOADED_AT)).all()  # no sample date: the load time
    assert list(use_case.validation_view(raw).columns) == [c for c in raw.columns if c != "updated_at"]


def test_split_is_disjoint_and_holds_out_about_its_share(raw):
    train, holdout = TransformerHealth().split(TransformerHealth().build_features(raw))
    assert set(train["reading_id"]).isdisjoint(holdout["reading_id"])
    assert len(train) + len(holdout) == 470 and 0.15 < len(holdout) / 470 < 0.25


@pytest.mark.parametrize("estimator", ["random_forest", "xgboost"])
def test_each_estimator_beats_the_dga_rule_on_the_holdout(raw, estimator):
    use_case = TransformerHealth(TransformerHealthConfig(estimator=estimator))
    train, holdout = use_case.split(use_case.build_features(raw))
    fitted = use_case.fit(train)
    assert fitted.params["estimator"] == estimator and fitted.train_rows == len(train)
    model = use_case.score(holdout, fitted.model.predict(holdout[use_case.feature_columns()]))
    rule = use_case.score(holdout, use_case.baseline_predictions(holdout))
    assert set(model) >= {"mae", "rmse", "r2", "attention_recall", "attention_precision", "attention_f1"}
    assert model["mae"] < 0.8 * rule["mae"]
    assert model["r2"] > 0.4


def test_backtest_is_repeated_kfold_with_a_summary_row_and_interval(raw):
    use_case = TransformerHealth(TransformerHealthConfig(cv_repeats=2, cv_folds=3,
                                                         estimator_params={"n_estimators": 60}))
    table = use_case.backtest(use_case.build_features(raw))
    folds, summary = table[table["repeat"] > 0], table[table["repeat"] == 0].iloc[0]
    assert len(folds) == 6 and folds["test_rows"].sum() == 2 * 470
    assert summary["model_mae"] == pytest.approx(folds["model_mae"].mean())
    assert summary["model_mae_ci95_low"] < summary["model_mae"] < summary["model_mae_ci95_high"]
    assert summary["model_mae_ci95_high"] < summary["naive_mae"]  # the whole interval beats the rule
    # The run's backtest means over the table, summary included, are the fold means.
    assert table["model_mae"].mean() == pytest.approx(folds["model_mae"].mean())
    assert np.isfinite(table["model_mae_ci95_low"].mean())


def test_too_few_readings_are_refused(raw):
    with pytest.raises(InsufficientDataError, match="10 transformer readings"):
        TransformerHealth().build_features(raw.head(10))


def test_the_gate_is_mae_lower_is_better():
    use_case = TransformerHealth(TransformerHealthConfig(min_relative_improvement=0.02))
    assert (use_case.gate.metric, use_case.gate.greater_is_better) == ("mae", False)
    assert use_case.gate.min_relative_improvement == 0.02
    assert use_case.summary_metrics()[0] == "mae"
