"""The three-quantile price booster on real prices: ordered band, P50 as `predict`, deterministic."""

from __future__ import annotations

import numpy as np
import pandas as pd

from gridflow.forecast.intervals import predict_quantiles
from gridflow.prices.issue_features import TARGET, build_price_features, feature_columns
from gridflow.prices.quantile_model import PriceQuantileModel, fit_quantile_model

NODES = ["HB_HOUSTON", "HB_NORTH"]
QUICK = {"n_estimators": 30}


def test_band_is_ordered_p50_is_predict_and_fits_repeat(excerpt):
    feats = build_price_features(excerpt, NODES, "America/Chicago", 10)
    columns = feature_columns(NODES)
    train, test = feats.iloc[: len(feats) * 3 // 4], feats.iloc[len(feats) * 3 // 4:]
    model = fit_quantile_model(train[columns], train[TARGET], QUICK)
    assert isinstance(model, PriceQuantileModel)
    q = predict_quantiles(model, test[columns])
    assert (q["p10"] <= q["p50"]).all() and (q["p50"] <= q["p90"]).all()
    np.testing.assert_array_equal(model.predict(test[columns]), q["p50"].to_numpy())
    # Columns are matched by name, not position.
    np.testing.assert_array_equal(model.predict(test[columns[::-1]]), q["p50"].to_numpy())
    again = fit_quantile_model(train[columns], train[TARGET], QUICK)
    np.testing.assert_array_equal(again.predict(test[columns]), model.predict(test[columns]))
    # A real band: most hours of the later quarter fall inside it, and it is not degenerate.
    y = test[TARGET].to_numpy()
    inside = np.mean((y >= q["p10"]) & (y <= q["p90"]))
    assert 0.4 < inside < 1.0 and (q["p90"] - q["p10"]).mean() > 1.0


def test_rows_without_a_price_are_not_trained_on(excerpt):
    feats = build_price_features(excerpt, NODES, "America/Chicago", 10)
    columns = feature_columns(NODES)
    gap = feats.copy()
    gap.loc[gap.index[:500], TARGET] = np.nan
    model = fit_quantile_model(gap[columns], gap[TARGET], QUICK)
    assert np.isfinite(model.predict(gap[columns].iloc[:10])).all()
    assert isinstance(model.predict_quantiles(gap[columns].iloc[:3]), pd.DataFrame)
