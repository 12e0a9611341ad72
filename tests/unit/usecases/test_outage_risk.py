"""Use case `outage_risk` on a generated history: beats the climatology baseline and recovers the
stated hazard's main effects."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr

from gridflow.errors import InsufficientDataError
from gridflow.storm import history as h
from gridflow.storm.inventory import generate_inventory
from gridflow.usecases.catalog import get_use_case, known_use_cases
from gridflow.usecases.configs import OutageRiskConfig
from gridflow.usecases.outage_risk import BASELINE, TIME, OutageRisk, climatology_baseline, gust_band
from gridflow.validation import gx_adapter

SEED = 3


@pytest.fixture(scope="module")
def world():
    assets = generate_inventory(8_000, seed=SEED)
    storms = h.generate_storms(assets, 40, seed=SEED)
    raw = h.generate_storm_history(assets, 40, seed=SEED).merge(assets, on="asset_id")
    # Small and quick: 3 calibration folds, 150 rounds (the defaults are 5 and 300).
    use_case = OutageRisk(OutageRiskConfig(holdout_storms=8, calibration_share=0.34, xgb_params={"n_estimators": 150}))
    feats = use_case.build_features(raw)
    train, holdout = use_case.split(feats)
    fitted = use_case.fit(train)
    return assets, storms, raw, use_case, feats, train, holdout, fitted


def test_registered_and_gated_on_brier():
    assert "outage_risk" in known_use_cases()
    use_case = get_use_case("outage_risk")
    assert isinstance(use_case, OutageRisk)
    assert use_case.gate.metric == "brier" and use_case.gate.greater_is_better is False


def test_generated_history_passes_the_suite(world):
    _, _, raw, *_ = world
    report = gx_adapter.validate_frame(raw, "outage_risk")
    assert report.success, [f.as_dict() for f in report.failures]
    broken = raw.assign(failed=True)
    assert not gx_adapter.validate_frame(broken, "outage_risk").success


def test_split_holds_out_the_latest_storms(world):
    *_, feats, train, holdout, _ = world
    assert holdout["storm_id"].nunique() == 8
    assert train[TIME].max() <= holdout[TIME].min()
    assert set(train["storm_id"]).isdisjoint(holdout["storm_id"])
    assert len(train) + len(holdout) == len(feats)
    with pytest.raises(InsufficientDataError):
        OutageRisk(OutageRiskConfig(holdout_storms=39)).split(feats)


def test_model_beats_the_climatology_baseline(world):
    _, _, _, use_case, _, _, holdout, fitted = world
    p = fitted.model.predict(holdout[use_case.feature_columns()])
    model = use_case.score(holdout, p)
    baseline = use_case.score(holdout, use_case.baseline_predictions(holdout))
    assert model["brier"] < baseline["brier"]
    assert model["pr_auc"] > 2 * baseline["pr_auc"]
    assert model["log_loss"] < baseline["log_loss"]
    assert model["pr_auc"] > 2 * model["base_rate"]  # far above a random ranking
    # Calibrated: the expected outage count is within 40 % of what happened over the holdout.
    assert 0.6 < model["expected_over_actual"] < 1.4, model


def test_model_recovers_the_stated_hazard(world):
    assets, storms, _, use_case, _, _, holdout, fitted = world
    columns = use_case.feature_columns()
    p = fitted.model.predict(holdout[columns])
    # The truth for each holdout row: the stated hazard averaged over the unobserved local gust.
    storms = storms.set_index("storm_id")
    by_id = assets.set_index("asset_id")
    truth = np.empty(len(holdout))
    attenuation = np.random.default_rng(0).beta(6, 2, 64)
    for storm_id, rows in holdout.groupby("storm_id"):
        storm = storms.loc[storm_id]
        subset = by_id.loc[rows["asset_id"]].reset_index()
        hail = 0.0 if np.isnan(storm.max_hail_in) else storm.max_hail_in
        truth[holdout.index.get_indexer(rows.index)] = np.mean(
            [h.hazard_probability(subset, storm.event, storm.true_gust_mph * u, hail) for u in attenuation], axis=0)
    assert spearmanr(p, truth).statistic > 0.85

    # Main effects, one at a time on typical assets: gust and vegetation raise the risk,
    # underground construction lowers it.
    base = holdout[holdout["event_thunderstorm"] == 1].head(400)[columns].copy()
    if base.empty:
        base = holdout.head(400)[columns].copy()
    base[[c for c in columns if c.startswith("event_")]] = 0.0
    base["event_thunderstorm"] = 1.0

    def mean_risk(**changes):
        frame = base.copy()
        for name, value in changes.items():
            frame[name] = value
        return fitted.model.predict(frame).mean()

    # The truth is ~4.5x ((80/55)^4); a tree model fitted on a few dozen storms learns a flatter curve.
    assert mean_risk(max_wind_gust_mph=80.0) > 1.5 * mean_risk(max_wind_gust_mph=55.0)
    assert mean_risk(vegetation_exposure=0.8) > 1.5 * mean_risk(vegetation_exposure=0.05)
    wood = {f"material_{m}": float(m == "wood") for m in ("wood", "steel", "concrete", "composite", "underground")}
    buried = {f"material_{m}": float(m == "underground") for m in ("wood", "steel", "concrete", "composite",
                                                                  "underground")}
    assert mean_risk(**buried) < mean_risk(**wood)


def test_baseline_uses_only_earlier_storms():
    frame = pd.DataFrame({
        "storm_id": ["a"] * 600 + ["b"] * 600 + ["c"] * 600,
        "storm_start_utc": pd.to_datetime(["2020-01-01"] * 600 + ["2021-01-01"] * 600 + ["2022-01-01"] * 600, utc=True),
        "event": ["Ice Storm Warning"] * 1800,
        "max_wind_gust_mph": [30.0] * 1800,
        "failed": np.r_[np.arange(600) < 60, np.arange(600) < 6, np.arange(600) < 600].astype(float),
    })
    rates = pd.Series(climatology_baseline(frame), index=frame["storm_id"]).groupby(level=0).first()
    assert rates["a"] == pytest.approx(0.01)  # the prior: nothing seen yet
    assert rates["b"] == pytest.approx(0.10)  # storm a only
    assert rates["c"] == pytest.approx(66 / 1200)  # a and b, never c itself
    np.testing.assert_array_equal(gust_band(np.array([np.nan, 40, 50, 70, 99, 140])), [-1, 0, 1, 2, 3, 4])


def test_features_carry_keys_time_target_and_baseline(world):
    _, _, raw, use_case, feats, *_ = world
    assert {"storm_id", "asset_id", TIME, "failed", BASELINE} <= set(feats.columns)
    assert feats[TIME].is_monotonic_increasing and str(feats[TIME].dt.tz) == "UTC"
    assert feats[BASELINE].between(0, 1).all()
    assert len(feats) == len(raw)
    with pytest.raises(InsufficientDataError):
        use_case.build_features(raw.iloc[:0])


def test_holdout_figures_show_reliability_and_storm_counts(world):
    from gridflow.training.importance import feature_importance

    _, _, _, use_case, _, _, holdout, fitted = world
    figures = use_case.holdout_figures(fitted.model, holdout)
    assert set(figures) == {"plots/reliability.png", "plots/storm_expected_vs_actual.png"}
    (reliability,) = figures["plots/reliability.png"].axes
    assert [line.get_label() for line in reliability.get_lines()] == [
        "challenger", "climatology baseline", "perfectly calibrated"]
    (storms,) = figures["plots/storm_expected_vs_actual.png"].axes
    assert [t.get_text() for t in storms.get_legend().get_texts()] == ["actual", "challenger", "climatology baseline"]
    assert len(storms.patches) == 3 * holdout["storm_id"].nunique()
    # The actual bars are the held-out storms' failures.
    actual = sorted(p.get_height() for p in storms.containers[0])
    assert actual == sorted(holdout.groupby("storm_id")["failed"].sum())

    importance = feature_importance(fitted.model, use_case.feature_columns())
    assert list(importance.index) == use_case.feature_columns() and importance.sum() > 0
    assert importance["max_wind_gust_mph"] > 0
