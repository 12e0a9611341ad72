"""Household MAE summaries and the feeder aggregate's errors."""

from __future__ import annotations

import numpy as np
import pandas as pd

from gridflow.consumption.metrics import consumption_report, feeder_aggregate, household_mae


def test_household_mae_and_the_aggregate_over_the_same_rows():
    meter = np.array(["a", "a", "b", "b", "c"])
    t = pd.to_datetime(["2013-01-01T00:00Z", "2013-01-01T00:30Z"] * 2 + ["2013-01-01T00:00Z"]).to_numpy()
    y = np.array([1.0, 2.0, 3.0, 4.0, np.nan])
    p = np.array([1.5, 2.0, 2.0, 4.0, 9.0])
    assert household_mae(meter, y, p).to_dict() == {"a": 0.25, "b": 0.5}  # c has no actual
    agg = feeder_aggregate(np.array(["F"] * 5), t, y, p)
    assert agg["actual"].tolist() == [4.0, 6.0] and agg["forecast"].tolist() == [3.5, 6.0]  # c's 9.0 left out
    report = consumption_report(meter, np.array(["F"] * 5), t, y, p)
    assert report["household_mae_mean"] == 0.375 and report["household_mae_median"] == 0.375
    assert np.isclose(report["aggregate_mape"], 100 * (0.5 / 4) / 2)
    assert np.isclose(report["aggregate_mae"], 0.25) and np.isclose(report["mae"], 1.5 / 4)
