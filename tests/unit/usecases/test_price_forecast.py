"""The `price_forecast` use case on real ERCOT DAM prices (HB_HOUSTON, HB_NORTH, 2022 Q1): the suite of
its market, features, split, fit, scores against both naive baselines, backtest and the PJM variant."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gridflow.errors import InsufficientDataError
from gridflow.usecases.catalog import get_use_case
from gridflow.usecases.configs import PriceForecastConfig
from gridflow.usecases.price_forecast import PriceForecast
from gridflow.validation.gx_adapter import validate_frame

EXCERPT = Path(__file__).resolve().parents[2] / "fixtures" / "prices" / "ercot_dam_hubs_2022q1.csv"
NODES = ["HB_HOUSTON", "HB_NORTH"]


def config(**overrides) -> PriceForecastConfig:
    settings = {"nodes": NODES, "holdout_days": 14, "backtest_folds": 1, "xgb_params": {"n_estimators": 30}}
    return PriceForecastConfig(**(settings | overrides))


@pytest.fixture(scope="module")
def raw() -> pd.DataFrame:
    frame = pd.read_csv(EXCERPT, dtype={"node": str, "market": str})
    return frame.assign(interval_start_utc=pd.to_datetime(frame["interval_start_utc"], utc=True),
                        interval_start_local=pd.to_datetime(frame["interval_start_local"]))


@pytest.fixture(scope="module")
def features(raw) -> pd.DataFrame:
    return PriceForecast(config()).build_features(raw)


def test_the_ercot_suite_passes_on_real_prices_and_catches_a_missing_hour(raw):
    use_case = PriceForecast(config())
    assert use_case.suite == "ercot_dam_spp"
    assert validate_frame(use_case.validation_view(raw), use_case.suite).success
    hole = raw.drop(index=raw.index[100])  # one hour of HB_HOUSTON inside a day
    assert not validate_frame(use_case.validation_view(hole), use_case.suite).success


def test_a_gap_between_delivery_days_is_not_a_failed_check(raw):
    """The warehouse holds 2021, 2022 and 2025: the checks run per delivery day, as ingestion ran them."""
    use_case = PriceForecast(config())
    day = pd.DatetimeIndex(raw["interval_start_local"]).normalize()
    gappy = raw[(day < pd.Timestamp("2022-02-01")) | (day >= pd.Timestamp("2022-03-01"))]
    assert validate_frame(use_case.validation_view(gappy), use_case.suite).success


def test_split_fit_score_and_both_baselines(features):
    use_case = PriceForecast(config())
    train, holdout = use_case.split(features)
    assert holdout["delivery_date"].nunique() == 14 and train["delivery_date"].max() < holdout["delivery_date"].min()
    fitted = use_case.fit(train)
    pred = fitted.model.predict(holdout[use_case.feature_columns()])
    model = use_case.score(holdout, pred)
    naive = use_case.score(holdout, use_case.baseline_predictions(holdout))
    assert set(model) == {"mae", "rmse", "top5_mae"} and all(np.isfinite(v) for v in model.values())
    np.testing.assert_allclose(use_case.baseline_predictions(holdout), holdout["lag_1d"])
    assert naive["mae"] > 0
    extra = use_case.interval_metrics(fitted.model, holdout)
    assert {"coverage_p10_p90", "pinball_mean", "interval_width_mean", "naive_d7_mae"} <= set(extra)
    band = use_case.holdout_forecast(fitted.model, holdout)
    assert (band["p10"] <= band["p90"]).all() and len(band) == len(holdout)


def test_excluded_periods_leave_training(features):
    train, _ = PriceForecast(config()).split(features)
    week = (dt.date(2022, 1, 10), dt.date(2022, 1, 16))
    whole = PriceForecast(config()).fit(train)
    without = PriceForecast(config(exclude_periods=[week])).fit(train)
    assert whole.train_rows - without.train_rows == 7 * 24 * 2


def test_backtest_is_the_month_before_the_holdout(features):
    use_case = PriceForecast(config())
    assert use_case.backtest_parts(features) == 1
    table = use_case.backtest(features)
    assert table["origin"].tolist() == ["2022-02-01"] and table["train_end"].tolist() == ["2022-01-31"]
    assert {"model_mae", "naive_d1_mae", "naive_d7_mae", "model_coverage_p10_p90"} <= set(table.columns)


def test_missing_nodes_say_how_to_load_them(raw):
    with pytest.raises(InsufficientDataError, match=r"HB_WEST.*gridflow ingest ercot"):
        PriceForecast(config(nodes=["HB_WEST"])).build_features(raw)


def test_pjm_is_a_configuration_with_its_own_suite(monkeypatch):
    from gridflow.config import reset_settings

    for key, value in {"MARKET": "PJM_DA", "NODES": '["1"]', "MARKET_TZ": "America/New_York",
                       "ISSUE_MINUTE_LOCAL": "30"}.items():
        monkeypatch.setenv(f"GRIDFLOW_PRICE_FORECAST__{key}", value)
    reset_settings()
    try:
        use_case = get_use_case("price_forecast")
        assert use_case.suite == "pjm_da_lmp" and use_case.nodes == ["1"]
        assert use_case.params()["issue_time_local"] == "D-1 10:30"
        assert "node_is_1" in use_case.feature_columns()
    finally:
        monkeypatch.undo()
        reset_settings()


def test_holdout_figures_per_node_and_the_monitor_defaults(features):
    from gridflow.prices.issue_features import PRICE_FEATURES

    use_case = PriceForecast(config(xgb_params={"n_estimators": 5}))
    train, holdout = use_case.split(features)
    figures = use_case.holdout_figures(use_case.fit(train).model, holdout)
    assert sorted(figures) == [f"plots/{node}_{kind}.png" for node in NODES
                               for kind in ("error_by_hour", "last_two_weeks")]
    last = figures["plots/HB_NORTH_last_two_weeks.png"].axes[0]
    assert {"P50 forecast", "same hour D-1", "actual"} <= {line.get_label() for line in last.get_lines()}
    # The monitor watches price inputs only, with a price-sized drift distance and a week of four hubs.
    assert use_case.drift_columns() == PRICE_FEATURES
    assert (use_case.monitor.drift_threshold, use_case.monitor.min_new_rows) == (1.0, 7 * 24 * 4)
    assert any("Uri" in limit for limit in use_case.known_limits)


def test_conformal_days_widen_the_band_of_the_fitted_model(features):
    train, _ = PriceForecast(config()).split(features)
    fitted = PriceForecast(config(xgb_params={"n_estimators": 5}, conformal_days=14)).fit(train)
    assert fitted.params["conformal_days"] == 14 and fitted.model.band_margin == pytest.approx(fitted.params["band_margin_asinh"], abs=1e-6)
    assert fitted.model.band_margin != 0
    assert PriceForecast(config(xgb_params={"n_estimators": 5})).fit(train).model.band_margin == 0
