"""The shifted price scenario on the real excerpt: re-dated after the last day, scaled, hours kept."""

from __future__ import annotations

import numpy as np
import pandas as pd

from gridflow.prices.scenario import shifted_prices


def test_shifted_prices_follow_the_data_with_the_same_local_hours(excerpt):
    prices = excerpt
    out = shifted_prices(prices, "2022-03-14", "2022-04-01", "America/Chicago", factor=3, offset=50)
    period = prices[pd.to_datetime(prices["interval_start_local"]) >= pd.Timestamp("2022-03-14")]
    assert list(out.columns) == list(prices.columns) and len(out) == len(period) == 2 * 18 * 24
    assert out["interval_start_local"].min() == pd.Timestamp("2022-04-01")
    assert out["interval_start_utc"].min() == prices["interval_start_utc"].max() + pd.Timedelta(hours=1)
    np.testing.assert_allclose(out["price_usd_per_mwh"], period["price_usd_per_mwh"].to_numpy() * 3 + 50)
    assert (out["interval_start_local"].dt.hour.to_numpy() == period["interval_start_local"].dt.hour.to_numpy()).all()
    assert out["is_dst"].all()
