"""Conformal P10/P50/P90: coverage near 80 % on later data, ordering, the no-interval fallback,
and that the model survives the skops round trip MLflow's sklearn flavour uses."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import skops.io
import xgboost

from gridflow.forecast import intervals
from gridflow.forecast.features import build_day_ahead_features, feature_columns
from gridflow.forecast.metrics import interval_report
from gridflow.forecast.split import time_holdout

TZ = "America/New_York"
SMALL = {"n_estimators": 60, "max_depth": 4, "learning_rate": 0.2}


@pytest.fixture(scope="module")
def fitted(make_load):
    feats = build_day_ahead_features(make_load("Z1", "2019-06-01", "2021-12-31", seed=3), TZ)
    train, test = time_holdout(feats, pd.Timestamp("2021-07-01", tz=TZ))
    cols = feature_columns()
    X = feats[cols].astype("float64")
    model, cal = intervals.fit_interval_model(
        X.iloc[train], feats["target"].iloc[train], feats["interval_start_local"].iloc[train], SMALL
    )
    return model, cal, X.iloc[test], feats["target"].iloc[test]


def test_band_covers_about_80_percent_of_later_data_and_is_ordered(fitted):
    model, cal, X, y = fitted
    q = intervals.predict_quantiles(model, X)
    assert list(q.columns) == ["p10", "p50", "p90"] and (q.dtypes == "float64").all()
    assert q.index.equals(X.index)
    ok = q.notna().all(axis=1)
    assert (q.loc[ok, "p10"] <= q.loc[ok, "p50"]).all() and (q.loc[ok, "p50"] <= q.loc[ok, "p90"]).all()
    np.testing.assert_array_equal(q["p50"].to_numpy(), model.predict(X))
    report = interval_report(y, q["p10"], q["p50"], q["p90"])
    assert 0.72 <= report["coverage_p10_p90"] <= 0.88, report
    assert 0.75 <= cal["calibration_coverage"] <= 0.85
    assert len(model.q_low) == 24 and max(model.q_low) <= 0 <= min(model.q_high)


def test_a_model_without_interval_gives_a_zero_width_band(make_load):
    feats = build_day_ahead_features(make_load("Z1", "2020-01-01", "2020-03-01"), TZ)
    X = feats[feature_columns()].astype("float64")
    plain = xgboost.XGBRegressor(n_estimators=5).fit(X, feats["target"])
    q = intervals.predict_quantiles(plain, X)
    np.testing.assert_array_equal(q["p10"], q["p90"])
    np.testing.assert_allclose(q["p50"], plain.predict(X))

    class Pyfunc:  # what mlflow.pyfunc.load_model returns: predict only
        def predict(self, frame):
            return pd.Series(np.full(len(frame), 5.0))

    q = intervals.predict_quantiles(Pyfunc(), X)
    assert (q == 5.0).all().all() and (q.dtypes == "float64").all()


def test_model_round_trips_through_skops_with_gridflow_and_xgboost_trusted(fitted):
    model, _, X, _ = fitted
    blob = skops.io.dumps(model)
    trusted = [t for t in skops.io.get_untrusted_types(data=blob) if t.startswith(("gridflow.", "xgboost."))]
    loaded = skops.io.loads(blob, trusted=trusted)
    pd.testing.assert_frame_equal(intervals.predict_quantiles(loaded, X), intervals.predict_quantiles(model, X))


def test_relative_residual_quantiles_per_hour():
    hour = np.repeat(np.arange(24), 100)
    pred = np.full(len(hour), 100.0)
    rel = np.tile(np.linspace(-0.1, 0.1, 100), 24) * (1 + hour / 24)
    lo, hi = intervals.relative_residual_quantiles(pred * (1 + rel), pred, hour)
    assert lo[0] > lo[23] and hi[0] < hi[23]
    assert abs(lo[0] - np.quantile(rel[:100], 0.1)) < 1e-9
