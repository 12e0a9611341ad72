"""Monthly rolling origin and the excluded training periods on real ERCOT prices."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from gridflow.errors import InsufficientDataError
from gridflow.prices.issue_features import DELIVERY_DATE, build_price_features, feature_columns
from gridflow.prices.rolling_origin import excluded, forecast_month, monthly_origins, rolling_origin

NODES = ["HB_HOUSTON", "HB_NORTH"]
QUICK = {"n_estimators": 20}


@pytest.fixture
def feats(excerpt) -> pd.DataFrame:
    return build_price_features(excerpt, NODES, "America/Chicago", 10)


def test_excluded_marks_inclusive_date_ranges():
    days = pd.Series(pd.to_datetime(["2021-02-12", "2021-02-13", "2021-02-20", "2021-02-21"]))
    assert excluded(days, [(dt.date(2021, 2, 13), dt.date(2021, 2, 20))]).tolist() == [False, True, True, False]
    assert not excluded(days, []).any()
    with pytest.raises(ValueError, match="ends before"):
        excluded(days, [(dt.date(2021, 2, 20), dt.date(2021, 2, 13))])


def test_each_month_is_forecast_by_a_model_trained_before_it(feats):
    origins = monthly_origins(feats, 2022)
    assert [o.month for o in origins] == [1, 2, 3]
    records, forecasts = rolling_origin(feats, feature_columns(NODES), origins[1:], QUICK)
    assert records["origin"].tolist() == ["2022-02-01", "2022-03-01"]
    assert records["train_end"].tolist() == ["2022-01-31", "2022-02-28"]
    assert pd.DatetimeIndex(forecasts[DELIVERY_DATE]).min() == pd.Timestamp("2022-02-01")
    for prefix in ("model", "naive_d1", "naive_d7"):
        assert np.isfinite(records[f"{prefix}_mae"]).all() and np.isfinite(records[f"{prefix}_top5_mae"]).all()
    assert records["model_coverage_p10_p90"].between(0, 1).all()
    with pytest.raises(InsufficientDataError):
        forecast_month(feats, feature_columns(NODES), origins[0], QUICK)  # nothing before January


def test_excluded_periods_shrink_training_only(feats):
    columns = feature_columns(NODES)
    origin = pd.Timestamp("2022-03-01")
    whole, _ = forecast_month(feats, columns, origin, QUICK)
    week = (dt.date(2022, 2, 1), dt.date(2022, 2, 7))
    without, _ = forecast_month(feats, columns, origin, QUICK, [week])
    assert whole["n_train"] - without["n_train"] == 2 * 7 * 24
    assert whole["n_test"] == without["n_test"]
