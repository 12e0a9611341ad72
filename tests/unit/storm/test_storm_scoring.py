"""The outage model's predict path and chunked scoring."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import skops.io

from gridflow.storm.features import FEATURE_COLUMNS, build_features
from gridflow.storm.history import generate_storm_history
from gridflow.storm.inventory import generate_inventory
from gridflow.storm.scoring import OutageRiskModel, choose_calibration, fit_outage_model, score_frame


@pytest.fixture(scope="module")
def data():
    assets = generate_inventory(3_000, seed=4)
    rows = generate_storm_history(assets, n_storms=24, seed=4).merge(assets, on="asset_id")
    X = build_features(rows)
    model = fit_outage_model(X, rows["failed"], rows["storm_id"], {"n_estimators": 60}, folds=3)
    return assets, X, model


def test_predict_returns_calibrated_probabilities(data):
    _, X, model = data
    p = model.predict(X)
    assert p.shape == (len(X),) and ((p >= 0) & (p <= 1)).all()
    np.testing.assert_allclose(model.calibrate(model.raw_probability(X)), p)
    proba = model.predict_proba(X)
    np.testing.assert_allclose(proba[:, 1], p)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert model.method in {"none", "isotonic", "sigmoid"}


def test_columns_are_taken_by_name_not_position(data):
    _, X, model = data
    shuffled = X[list(reversed(FEATURE_COLUMNS))]
    np.testing.assert_array_equal(model.predict(shuffled), model.predict(X))


@pytest.mark.parametrize("chunk", [1_000, 7_777, 10**7])
def test_chunked_scoring_equals_one_call(data, chunk):
    _, X, model = data
    np.testing.assert_array_equal(score_frame(model, X, chunk_rows=chunk), model.predict(X))


def test_scoring_an_alert_and_an_empty_area(data):
    assets, _, model = data
    feats = build_features(assets, {"event": "Hurricane Warning", "severity": "Extreme", "max_wind_gust_mph": 120})
    calm = build_features(assets, {"event": "Severe Thunderstorm Warning", "severity": "Severe",
                                   "max_wind_gust_mph": 55})
    assert score_frame(model, feats).mean() > score_frame(model, calm).mean()
    assert score_frame(model, feats.iloc[:0]).shape == (0,)
    with pytest.raises(ValueError):
        score_frame(model, feats, chunk_rows=0)


def test_the_model_survives_skops_serialisation(data):
    # MLflow 3 saves sklearn-flavour models with skops: the class must round-trip exactly.
    _, X, model = data
    blob = skops.io.dumps(model)
    loaded = skops.io.loads(blob, trusted=skops.io.get_untrusted_types(data=blob))
    assert isinstance(loaded, OutageRiskModel)
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


def test_without_folds_the_booster_speaks_for_itself(data):
    _, X, _ = data
    y = pd.Series(np.arange(len(X)) % 20 == 0)
    model = fit_outage_model(X, y, np.zeros(len(X)), {"n_estimators": 10})  # one storm: no folds
    assert model.method == "none"
    np.testing.assert_array_equal(model.predict(X), model.raw_probability(X))


def test_calibration_is_kept_only_when_it_helps_out_of_sample():
    rng = np.random.default_rng(0)
    truth = rng.beta(1, 20, 60_000)
    y = (rng.random(len(truth)) < truth).astype(float)
    fold = np.arange(len(truth)) % 5
    # Already calibrated: no map beats the identity on folds it was not fitted on.
    method, _ = choose_calibration(truth, y, fold)
    assert method == "none"
    # A booster three times too cautious: a map is chosen and restores the expected count.
    method, calibration = choose_calibration(truth / 3, y, fold)
    assert method in {"sigmoid", "isotonic"}
    fixed = OutageRiskModel(method=method, calibration=calibration).calibrate(truth / 3)
    assert fixed.sum() == pytest.approx(y.sum(), rel=0.05)
