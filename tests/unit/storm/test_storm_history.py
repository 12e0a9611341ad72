"""The storm history generator follows its stated hazard."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gridflow.storm import history as h
from gridflow.storm.inventory import generate_inventory


@pytest.fixture(scope="module")
def assets() -> pd.DataFrame:
    return generate_inventory(6_000, seed=11)


@pytest.fixture(scope="module")
def outcomes(assets) -> pd.DataFrame:
    return h.generate_storm_history(assets, n_storms=60, seed=11)


def test_rows_have_the_storm_outcome_columns_and_are_deterministic(assets, outcomes):
    assert list(outcomes.columns) == h.OUTCOME_COLUMNS
    assert not outcomes.duplicated(["storm_id", "asset_id"]).any()
    assert str(outcomes["storm_start_utc"].dt.tz) == "UTC"
    assert outcomes["failed"].dtype == bool
    assert outcomes["asset_id"].isin(assets["asset_id"]).all()
    pd.testing.assert_frame_equal(outcomes, h.generate_storm_history(assets, n_storms=60, seed=11))


def test_storms_are_texas_warnings_in_season_over_the_decade(assets):
    storms = h.generate_storms(assets, 200, seed=3)
    assert storms["storm_start_utc"].is_monotonic_increasing
    assert storms["storm_start_utc"].min() >= pd.Timestamp("2015-01-01", tz="UTC")
    assert storms["storm_start_utc"].max() < pd.Timestamp("2026-01-01", tz="UTC")
    assert set(storms["event"]) <= {e.event for e in h.EVENTS}
    for spec in h.EVENTS:
        months = storms.loc[storms["event"] == spec.event, "storm_start_utc"].dt.month
        assert months.isin(spec.months).all(), spec.event
    hurricanes = storms[storms["event"] == "Hurricane Warning"]
    assert (hurricanes["max_wind_gust_mph"] >= 85).all()
    assert storms["counties"].map(len).min() >= 1


def test_failure_rates_follow_the_stated_hazard(assets, outcomes):
    rate = outcomes["failed"].mean()
    assert 0.005 < rate < 0.15
    joined = outcomes.merge(assets, on="asset_id")
    veg_hi = joined["vegetation_exposure"] > joined["vegetation_exposure"].quantile(0.75)
    veg_lo = joined["vegetation_exposure"] < joined["vegetation_exposure"].quantile(0.25)
    assert joined.loc[veg_hi, "failed"].mean() > 1.5 * joined.loc[veg_lo, "failed"].mean()
    under = joined["material"] == "underground"
    assert joined.loc[under, "failed"].mean() < 0.5 * joined.loc[joined["material"] == "wood", "failed"].mean()
    feeders = joined["asset_type"] == "feeder"
    assert joined.loc[feeders, "failed"].mean() > joined.loc[~feeders, "failed"].mean()


def test_hazard_probability_is_the_stated_formula(assets):
    one = assets.head(50)
    p = h.hazard_probability(one, "Ice Storm Warning", 30.0, 0.0, 0.0)
    veg = one["vegetation_exposure"].to_numpy()
    eta = (h.INTERCEPT + 2.3 + (h.B_VEGETATION + h.B_ICE_VEGETATION) * veg + h.B_AGE * one["age_years"].to_numpy()
           + one["material"].map(h.B_MATERIAL).to_numpy() + one["asset_type"].map(h.B_TYPE).to_numpy()
           + h.B_HISTORY * np.minimum(one["outages_5y"].to_numpy(), h.HISTORY_CAP))
    np.testing.assert_allclose(p, 1 - np.exp(-np.exp(eta) * (30.0 / 50.0) ** 4))
    # Monotone in gust, and a hurricane's gust is far worse than a thunderstorm's.
    gusts = np.array([40.0, 60.0, 90.0, 130.0])
    row = assets.head(1)
    curve = [h.hazard_probability(row, "Hurricane Warning", g)[0] for g in gusts]
    assert np.all(np.diff(curve) > 0) and curve[-1] > 20 * curve[0]
    with pytest.raises(ValueError):
        h.hazard_probability(row, "Dust Storm Warning", 50.0)
