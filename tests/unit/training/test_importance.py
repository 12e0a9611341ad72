"""Feature importance is read from the booster a gridflow estimator holds, or scikit-learn's attribute."""

from __future__ import annotations

import numpy as np
import pandas as pd
import xgboost
from sklearn.tree import DecisionTreeRegressor

from gridflow.training.importance import feature_importance


def _data() -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"signal": rng.normal(size=500), "noise": rng.normal(size=500), "unused": np.zeros(500)})
    return X, 3 * X["signal"].to_numpy() + 0.1 * rng.normal(size=500)


def test_booster_gain_per_column_with_zero_for_an_unused_one():
    X, y = _data()
    booster = xgboost.train({"max_depth": 2}, xgboost.DMatrix(X, y), num_boost_round=10)

    class Holder:  # a gridflow estimator keeps its booster as `.booster`
        def __init__(self, b):
            self.booster = b

    importance = feature_importance(Holder(booster), list(X.columns))
    assert list(importance.index) == ["signal", "noise", "unused"]
    assert importance["signal"] > 10 * importance["noise"] and importance["unused"] == 0
    wrapped = xgboost.XGBRegressor(n_estimators=10, max_depth=2).fit(X, y)
    assert feature_importance(wrapped, list(X.columns)).idxmax() == "signal"


def test_scikit_learn_importances_and_none_without_any():
    X, y = _data()
    tree = DecisionTreeRegressor(max_depth=3).fit(X, y)
    assert feature_importance(tree, list(X.columns)).idxmax() == "signal"
    assert feature_importance(object(), list(X.columns)) is None
