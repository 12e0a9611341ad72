"""The outage-risk figures: reliability per quantile bin, and expected against actual per storm."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gridflow.training import calibration_plots as cp


def _outcomes(n: int = 20_000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    p = rng.beta(0.5, 30, n)
    return (rng.random(n) < p).astype("float64"), p


def test_a_calibrated_model_sits_on_the_diagonal():
    y, p = _outcomes()
    table = cp.reliability(y, p, bins=10)
    assert len(table) == 10 and table["rows"].sum() == len(y)
    np.testing.assert_allclose(table["observed"], table["predicted"], atol=0.02)
    # Doubling every probability shows as a curve well under the diagonal where failures happen.
    doubled = cp.reliability(y, np.clip(2 * p, 0, 1), bins=10).tail(5)
    assert (doubled["observed"] < 0.75 * doubled["predicted"]).all()


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(0, 1), min_size=20, max_size=300), st.integers(2, 12))
def test_every_row_falls_in_one_bin(probabilities, bins):
    p = np.array(probabilities)
    y = (p > 0.5).astype("float64")
    table = cp.reliability(y, p, bins)
    assert table["rows"].sum() == len(p) and (table["rows"] > 0).all()
    assert ((table["observed"] >= 0) & (table["observed"] <= 1)).all()


def test_reliability_curve_draws_each_prediction_and_the_diagonal():
    y, p = _outcomes()
    (ax,) = cp.reliability_curve(y, {"challenger": p, "climatology": np.full(len(y), y.mean())}, "outage_risk").axes
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == ["challenger", "climatology", "perfectly calibrated"]
    assert len(lines[0].get_xdata()) == 10 and len(lines[1].get_xdata()) == 1  # one bin: one value
    assert ax.get_xlim() == ax.get_ylim() and ax.get_xlim()[0] == 0


def test_storm_counts_sum_probabilities_and_failures_per_storm():
    counts = cp.storm_counts(np.array(["b", "b", "a", "a", "a"]), np.array([1, 0, 1, 1, 0]),
                             {"challenger": np.array([0.5, 0.25, 0.5, 0.5, 0.5])})
    assert counts.to_dict("list") == {"storm_id": ["b", "a"], "actual": [1.0, 2.0], "challenger": [0.75, 1.5]}


def test_expected_vs_actual_has_a_bar_per_storm_and_series():
    counts = pd.DataFrame({"storm_id": ["s1", "s2", "s3"], "actual": [3.0, 0.0, 7.0],
                           "challenger": [2.5, 0.4, 6.0], "climatology": [1.0, 1.0, 1.0]})
    (ax,) = cp.expected_vs_actual(counts, "outage_risk").axes
    assert [t.get_text() for t in ax.get_xticklabels()] == ["s1", "s2", "s3"]
    assert [p.get_height() for p in ax.containers[0]] == [3.0, 0.0, 7.0]
    assert [p.get_height() for p in ax.containers[1]] == pytest.approx([2.5, 0.4, 6.0])
    assert len(ax.patches) == 9
