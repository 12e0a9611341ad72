"""Split-conformal widening of the price band: the finite-sample rank, and a band that under-covers
on real prices covers its calibration days once widened."""

from __future__ import annotations

import numpy as np
import pandas as pd

from gridflow.prices.conformal import band_scores, fit_conformalized, last_days, widening
from gridflow.prices.issue_features import DELIVERY_DATE, TARGET, build_price_features, feature_columns
from gridflow.prices.quantile_model import PriceQuantileModel

NODES = ["HB_HOUSTON", "HB_NORTH"]


def test_scores_are_the_distance_outside_the_band_and_the_margin_is_the_conformal_rank():
    lo, hi = np.zeros(3), np.sinh(np.ones(3))
    np.testing.assert_allclose(band_scores(np.sinh([-2.0, 0.5, 3.0]), lo, hi), [2.0, -0.5, 2.0])
    # n = 9, coverage 0.8: rank ceil(10 * 0.8) = 8 of the sorted scores.
    assert widening(np.arange(1.0, 10.0)) == 8.0
    assert widening(np.array([1.0, 2.0]), coverage=0.99) == 2.0  # too few rows: the largest


def test_the_widened_band_holds_its_calibration_days(excerpt):
    feats = build_price_features(excerpt, NODES, "America/Chicago", 10, 0)
    feats = feats[feats[TARGET].notna()]
    calib = last_days(feats[DELIVERY_DATE], 14)
    assert pd.DatetimeIndex(feats[DELIVERY_DATE][calib]).nunique() == 14
    X, y = feats[feature_columns(NODES)], feats[TARGET].to_numpy()
    model = fit_conformalized(X, y, calib, {"n_estimators": 20})
    assert isinstance(model, PriceQuantileModel) and model.band_margin != 0
    plain = PriceQuantileModel(model.booster, model.feature_names, model.quantiles)
    wide, narrow = model.predict_quantiles(X), plain.predict_quantiles(X)
    np.testing.assert_allclose(wide["p50"], narrow["p50"])
    assert ((wide["p90"] - wide["p10"]) >= (narrow["p90"] - narrow["p10"]) - 1e-9).all() == (model.band_margin > 0)
