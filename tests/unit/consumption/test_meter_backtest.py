"""The household forecast's monthly rolling-origin backtest: fold dates, per-fold training cut-off and
the model scored against both seasonal baselines on the same rows (four real SGSC households)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from gridflow.consumption import backtest as cbt
from gridflow.consumption import issue_features as ife
from gridflow.usecases.configs import MeterForecastConfig
from gridflow.usecases.meter_forecast import MeterForecast
from tests.unit.consumption.sgsc_fixture import sgsc_readings

T = pd.Timestamp


def test_monthly_folds_end_at_the_holdout_and_drop_those_without_training_days():
    folds = cbt.monthly_folds(T("2011-12-01"), T("2013-12-03"), 3)
    assert folds == [(T("2013-09-03"), T("2013-10-03")), (T("2013-10-03"), T("2013-11-03")),
                     (T("2013-11-03"), T("2013-12-03"))]
    assert cbt.monthly_folds(T("2013-10-03"), T("2013-12-03"), 3) == [(T("2013-11-03"), T("2013-12-03"))]
    assert cbt.monthly_folds(T("2011-12-01"), T("2013-12-03"), 0) == []


def test_a_fold_trains_before_its_month_and_is_scored_against_both_baselines():
    case = MeterForecast(MeterForecastConfig(holdout_days=7, train_sample_share=1.0, backtest_folds=3,
                                             xgb_params={"n_estimators": 40, "max_depth": 3}))
    feats = case.build_features(sgsc_readings())
    # Data from 2013-02-25, holdout from 2013-04-01: only March has training days before it.
    assert case.backtest_parts(feats) == 1
    table = case.backtest(feats)
    assert len(table) == 1
    row = table.iloc[0]
    assert (row["test_start_local"], row["test_end_local"]) == (T("2013-03-01"), T("2013-03-31"))
    days = pd.DatetimeIndex(feats[ife.TARGET_DATE])
    assert row["n_train"] == int((feats[ife.TARGET].notna() & (days < T("2013-03-01"))).sum())
    march = feats[(days >= T("2013-03-01")) & (days < T("2013-04-01"))]
    assert row["n_test"] == int(march[ife.TARGET].notna().sum()) and 0 < row["n_scored"] <= row["n_test"]
    for prefix in ("model", "naive", "naive_week"):
        assert 0 < row[f"{prefix}_household_mae_mean"] < 1 and 0 < row[f"{prefix}_aggregate_mape"] < 100
    # `naive_` is the gate's floor, scored like the holdout's baseline on the fold's scored rows.
    scored = march[march[[ife.TARGET, ife.BASELINE_4W, ife.BASELINE_WEEK]].notna().all(axis=1)]
    floor = case.score(scored, case.baseline_predictions(scored))
    assert np.isclose(row["naive_household_mae_mean"], floor["household_mae_mean"])
    again = case.backtest_part(feats, 0)  # a fold alone, as the retrain flow fans it out
    assert table.drop(columns="fit_seconds").equals(again.drop(columns="fit_seconds"))


def test_no_folds_configured_means_no_backtest():
    case = MeterForecast(MeterForecastConfig(holdout_days=7, backtest_folds=0))
    feats = case.build_features(sgsc_readings())
    assert case.backtest_parts(feats) == 0 and case.backtest(feats).empty
