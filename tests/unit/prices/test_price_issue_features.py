"""Day-ahead price features on real ERCOT DAM prices: values, calendar, DST days, and no leakage: a
day's rows use only prices published by its issue time (delivery days up to D-1)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gridflow.errors import InsufficientDataError
from gridflow.prices.issue_features import (
    DELIVERY_DATE,
    NODE,
    PRICE_FEATURES,
    TARGET,
    build_price_features,
    feature_columns,
    issue_time_utc,
)

NODES = ["HB_HOUSTON", "HB_NORTH"]
TZ = "America/Chicago"


def build(prices: pd.DataFrame) -> pd.DataFrame:
    return build_price_features(prices, NODES, TZ, issue_hour_local=10)


def day_rows(feats: pd.DataFrame, day: str) -> pd.DataFrame:
    return feats[feats[DELIVERY_DATE] == pd.Timestamp(day)].reset_index(drop=True)


def test_lags_are_the_same_local_hour_of_earlier_delivery_days(excerpt):
    feats = build(excerpt)
    row = feats[(feats[NODE] == "HB_NORTH") & (feats["interval_start_local"] == pd.Timestamp("2022-02-10 18:00"))].iloc[0]
    price = excerpt.set_index(["node", "interval_start_local"])["price_usd_per_mwh"]
    assert row["lag_1d"] == price[("HB_NORTH", pd.Timestamp("2022-02-09 18:00"))]
    assert row["lag_7d"] == price[("HB_NORTH", pd.Timestamp("2022-02-03 18:00"))]
    d1 = price.loc["HB_NORTH"].loc["2022-02-09"]
    assert row["d1_max"] == d1.max() and row["d1_mean"] == pytest.approx(d1.mean())
    both = price.xs(pd.Timestamp("2022-02-09 18:00"), level=1)
    assert row["nodes_lag_1d"] == pytest.approx(both.mean())
    assert row["spread_lag_1d"] == pytest.approx(row["lag_1d"] - both.mean())
    assert row[TARGET] == price[("HB_NORTH", pd.Timestamp("2022-02-10 18:00"))]
    assert (row["node_is_HB_NORTH"], row["node_is_HB_HOUSTON"]) == (1.0, 0.0)


def test_columns_rows_and_dst_day(excerpt):
    feats = build(excerpt)
    assert list(feats.columns[-len(feature_columns(NODES)) - 1:-1]) == feature_columns(NODES)
    # The first day has no D-1: not forecastable. Every later hour of both hubs is a row.
    assert feats[DELIVERY_DATE].min() == pd.Timestamp("2022-01-02")
    assert len(feats) == len(excerpt) - 2 * 24
    spring = day_rows(feats, "2022-03-13")
    assert len(spring) == 2 * 23 and spring["hour"].tolist()[:3] == [0, 1, 3]
    # On the day after spring-forward, 02:00 has no D-1 counterpart: NaN, not a neighbour's price.
    after = day_rows(feats, "2022-03-14")
    assert after.loc[after["hour"] == 2, "lag_1d"].isna().all()
    assert after.loc[after["hour"] != 2, "lag_1d"].notna().all()
    assert feats.loc[feats[DELIVERY_DATE] == pd.Timestamp("2022-01-17"), "is_holiday"].eq(1).all()  # MLK day


def test_issue_time_is_d_minus_1_local_in_either_offset():
    days = pd.DatetimeIndex(["2022-01-15", "2022-07-15", "2022-03-13"])
    got = issue_time_utc(days, TZ, 10)
    assert list(got) == [pd.Timestamp("2022-01-14 16:00", tz="UTC"), pd.Timestamp("2022-07-14 15:00", tz="UTC"),
                         pd.Timestamp("2022-03-12 16:00", tz="UTC")]
    assert issue_time_utc(days[:1], "America/New_York", 10, 30)[0] == pd.Timestamp("2022-01-14 15:30", tz="UTC")


@pytest.mark.parametrize("target_day", ["2022-02-15", "2022-03-13", "2022-03-14"])
def test_prices_published_after_the_issue_time_change_nothing_of_that_day(excerpt, target_day):
    """Garble every price of delivery day D and later (published after D's issue time, 10:00 on D-1):
    the feature rows of D are bit-identical. Garbling D-1 (published on D-2) changes them."""
    day = pd.Timestamp(target_day)
    before = day_rows(build(excerpt), target_day)
    local_day = pd.DatetimeIndex(excerpt["interval_start_local"]).normalize()
    rng = np.random.default_rng(7)

    later = excerpt.copy()
    after_issue = np.asarray(local_day >= day)
    later.loc[after_issue, "price_usd_per_mwh"] = rng.normal(500, 900, after_issue.sum())
    garbled = day_rows(build(later), target_day)
    pd.testing.assert_frame_equal(garbled.drop(columns=[TARGET]), before.drop(columns=[TARGET]))
    assert not np.allclose(garbled[TARGET], before[TARGET])  # the garbling did reach the day itself

    d1 = excerpt.copy()
    on_d1 = np.asarray(local_day == day - pd.Timedelta(days=1))
    d1.loc[on_d1, "price_usd_per_mwh"] += 250.0
    moved = day_rows(build(d1), target_day)
    for column in ("lag_1d", "d1_mean", "nodes_lag_1d", "same_hour_mean_7d", "week_mean"):
        assert not np.allclose(moved[column], before[column], equal_nan=True), column


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(day_offset=st.integers(min_value=8, max_value=88), seed=st.integers(0, 2**16))
def test_no_feature_of_any_day_reads_its_own_or_a_later_delivery_day(excerpt, day_offset, seed):
    day = pd.Timestamp("2022-01-01") + pd.Timedelta(days=day_offset)
    local_day = pd.DatetimeIndex(excerpt["interval_start_local"]).normalize()
    garbled = excerpt.copy()
    mask = np.asarray(local_day >= day)
    garbled.loc[mask, "price_usd_per_mwh"] = np.random.default_rng(seed).uniform(-250, 5000, mask.sum())
    a, b = day_rows(build(excerpt), str(day.date())), day_rows(build(garbled), str(day.date()))
    pd.testing.assert_frame_equal(a[PRICE_FEATURES], b[PRICE_FEATURES])


def test_a_node_with_too_little_of_d1_is_not_forecast(excerpt):
    # Drop most of 2022-02-09 for HB_NORTH: its rows of 02-10 go, HB_HOUSTON's stay.
    hole = (excerpt["node"] == "HB_NORTH") & excerpt["interval_start_local"].between("2022-02-09 00:00", "2022-02-09 12:00")
    feats = build(excerpt[~hole])
    day = day_rows(feats, "2022-02-10")
    assert set(day[NODE]) == {"HB_HOUSTON"} and len(day) == 24


def test_empty_or_malformed_input_is_refused(excerpt):
    with pytest.raises(InsufficientDataError):
        build(excerpt.iloc[:0])
    with pytest.raises(ValueError, match="lacks"):
        build(excerpt.drop(columns=["is_dst"]))
