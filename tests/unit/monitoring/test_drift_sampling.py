"""Sampled drift verdicts agree with the unsampled computation on the test scenarios."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gridflow.monitoring.evidently_adapter import compute_drift
from gridflow.monitoring.sampling import stratified_sample

ROWS = 100_000
COLUMNS = [f"f{i}" for i in range(8)]


def window(seed: int, shift: dict[str, float] | None = None, scale: dict[str, float] | None = None) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    hour = np.arange(ROWS) % 24
    frame = pd.DataFrame({c: rng.normal(0, 1, ROWS) + np.sin(hour / 24 * 2 * np.pi) for c in COLUMNS})
    frame["hour"] = hour
    frame["weekend"] = (np.arange(ROWS) // 24) % 7 >= 5
    for column, delta in (shift or {}).items():
        frame[column] += delta
    for column, factor in (scale or {}).items():
        frame[column] *= factor
    return frame


@pytest.mark.parametrize(
    ("shift", "scale"),
    [
        pytest.param({}, {}, id="no-drift"),
        pytest.param({"f0": 0.5}, {}, id="one-feature-shifted"),
        pytest.param({c: 0.4 for c in COLUMNS[:5]}, {}, id="most-features-shifted"),
        pytest.param({}, {"f3": 1.8}, id="variance-change"),
    ],
)
def test_sampled_verdict_matches_full(shift, scale):
    reference, current = window(0), window(1, shift, scale)
    full = compute_drift(reference, current, COLUMNS)
    sampled = compute_drift(
        stratified_sample(reference, ["hour", "weekend"], 10_000, seed=0),
        stratified_sample(current, ["hour", "weekend"], 10_000, seed=1),
        COLUMNS,
    )
    assert sampled.drifted == full.drifted
    assert sampled.share == full.share
    for column in COLUMNS:
        assert sampled.scores[column] == pytest.approx(full.scores[column], abs=0.03)


def test_stratified_sample_keeps_every_stratum_in_proportion():
    frame = window(0)
    sample = stratified_sample(frame, ["hour", "weekend"], 4_800)
    assert len(sample) == pytest.approx(4_800, abs=48)
    counts = sample.groupby(["hour", "weekend"]).size()
    expected = frame.groupby(["hour", "weekend"]).size() * len(sample) / len(frame)
    assert (abs(counts - expected) <= 2).all()
    assert stratified_sample(frame.head(10), ["hour"], 100) is not None
