"""Constructed prediction logs with known errors per arm, for the A/B report's tests."""

from __future__ import annotations

import numpy as np
import pandas as pd


def shadow_log(n: int, champion_error: float, challenger_error: float, seed: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    """n requests of one row each, both arms per row; errors ~ N(mean, 1) in absolute value."""
    rng = np.random.default_rng(seed)
    actual = rng.uniform(0, 100, n)
    keys = [f"R{i}" for i in range(n)]
    rows = []
    for arm, version, error in (("champion", "1", champion_error), ("challenger", "2", challenger_error)):
        noise = np.abs(rng.normal(error, 1.0, n)) * rng.choice([-1, 1], n)
        rows.append(pd.DataFrame({"request_id": [f"q{i}" for i in range(n)], "row_index": 0, "arm": arm,
                                  "mode": "shadow", "returned": arm == "champion", "model_version": version,
                                  "request_key": keys, "prediction": actual + noise}))
    return pd.concat(rows, ignore_index=True), pd.Series(actual, index=keys)


def ab_log(n: int, champion_error: float, challenger_error: float, seed: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    """2n requests, each answered by one arm only (different keys per arm)."""
    rows, actual = shadow_log(2 * n, champion_error, challenger_error, seed)
    keep = ((rows["arm"] == "champion") & (rows["request_id"].str[1:].astype(int) < n)) | \
        ((rows["arm"] == "challenger") & (rows["request_id"].str[1:].astype(int) >= n))
    return rows[keep].assign(mode="ab", returned=True), actual
