"""Stratified samples: a few thousand rows that keep a large window's mix of hours and day types."""

from __future__ import annotations

import numpy as np
import pandas as pd


def stratified_sample(frame: pd.DataFrame, strata: list[str], size: int, seed: int = 0) -> pd.DataFrame:
    """At most `size` rows, each stratum keeping its share of the frame (at least one row each).

    Drift tests compare distributions; sampling every stratum in proportion keeps the daily and
    weekly shape, so a sample's verdict matches the full window's at a fraction of the cost.
    """
    if len(frame) <= size:
        return frame
    rng = np.random.default_rng(seed)
    groups = frame.groupby(strata, sort=False, observed=True).indices
    fraction = size / len(frame)
    picked = []
    for positions in groups.values():
        take = max(1, round(len(positions) * fraction))
        picked.append(rng.choice(positions, size=min(take, len(positions)), replace=False))
    chosen = np.sort(np.concatenate(picked))
    return frame.iloc[chosen]


def day_type(local_times: pd.Series) -> pd.Series:
    """`weekday` or `weekend` of each local timestamp: load shape differs sharply between them."""
    return pd.Series(np.where(local_times.dt.dayofweek >= 5, "weekend", "weekday"), index=local_times.index)
