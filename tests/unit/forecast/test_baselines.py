"""Seasonal naive: same local hour a week earlier, per zone, aligned with the input rows."""

from __future__ import annotations

import numpy as np
import pandas as pd

from gridflow.forecast.baselines import seasonal_naive
from gridflow.forecast.features import build_day_ahead_features
from gridflow.frames import INTERVAL_START_LOCAL, LOAD_MW, ZONE

TZ = "America/New_York"


def _at(frame: pd.DataFrame, zone: str, local: str) -> pd.Series:
    rows = frame[(frame[ZONE] == zone) & (frame[INTERVAL_START_LOCAL] == pd.Timestamp(local))]
    return rows.iloc[0]


def test_same_local_hour_one_week_earlier_across_spring_forward(make_load):
    frame = make_load("A", "2021-02-20", "2021-04-01")
    naive = seasonal_naive(frame)
    assert naive.index.equals(frame.index)
    # One wall-clock week back crosses the DST change: 167 elapsed hours, still the same local hour.
    row = _at(frame, "A", "2021-03-15 03:00")
    assert naive[row.name] == _at(frame, "A", "2021-03-08 03:00")[LOAD_MW]
    # 02:00 did not exist on 2021-03-14, so the following week has no baseline at 02:00.
    assert np.isnan(naive[_at(frame, "A", "2021-03-21 02:00").name])
    # The first week has no history.
    assert naive[frame[INTERVAL_START_LOCAL] < pd.Timestamp("2021-02-27")].isna().all()


def test_zones_are_kept_apart_and_order_is_irrelevant(make_load):
    a = make_load("A", "2021-01-01", "2021-02-01", seed=1)
    b = make_load("B", "2021-01-10", "2021-02-01", seed=2)
    both = pd.concat([a, b], ignore_index=True).sample(frac=1.0, random_state=0)
    naive = seasonal_naive(both, lag_hours=24)
    for zone, own in (("A", a), ("B", b)):
        expected = own[LOAD_MW].shift(24).to_numpy()  # no DST change in January
        got = naive[both[ZONE] == zone].sort_index().to_numpy()
        np.testing.assert_array_equal(got, expected)


def test_equals_the_lag_7d_feature_on_a_features_frame(make_load):
    frame = make_load("A", "2021-02-01", "2021-12-01")
    features = build_day_ahead_features(frame, TZ)
    naive = seasonal_naive(features)
    np.testing.assert_array_equal(naive.astype("float32").to_numpy(), features["lag_7d"].to_numpy())
