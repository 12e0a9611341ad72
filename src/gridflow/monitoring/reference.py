"""The reference frame a champion is monitored against, and the strata both sides are sampled by.

The reference is a stratified sample of exactly the rows the model was trained on, with the
model's own predictions beside them, logged with the training run (`REFERENCE_PATH`), so a drift
check compares like with like without re-deriving anything.
"""

from __future__ import annotations

import pandas as pd

from gridflow import frames as f
from gridflow.monitoring.sampling import day_type, stratified_sample

REFERENCE_PATH = "reference/features.parquet"
REFERENCE_ROWS = 20_000
PREDICTION = "prediction"
STRATA = ["stratum_hour", "stratum_day_type"]


def sample_by_strata(frame: pd.DataFrame, size: int, seed: int = 0) -> pd.DataFrame:
    """At most `size` rows of `frame`, every local hour x day type kept in proportion."""
    if len(frame) <= size:
        return frame
    # Sample positions on the two strata columns alone: copying a 1M-row frame costs more than
    # the drift test on the sample.
    picked = stratified_sample(_strata(frame), STRATA, size, seed=seed)
    return frame.iloc[picked.index.to_numpy()]


def clock_column(frame: pd.DataFrame) -> str:
    """The time column days and months are counted on: the market's local time, else UTC (asset
    data such as transformer readings has no market clock)."""
    return f.INTERVAL_START_LOCAL if f.INTERVAL_START_LOCAL in frame.columns else f.INTERVAL_START_UTC


def _strata(frame: pd.DataFrame) -> pd.DataFrame:
    local = pd.to_datetime(frame[clock_column(frame)]).reset_index(drop=True)
    return pd.DataFrame({STRATA[0]: local.dt.hour.to_numpy(), STRATA[1]: day_type(local).to_numpy()})


def seasonal_slice(reference: pd.DataFrame, months: set[int], min_rows: int = 1_000) -> pd.DataFrame:
    """The reference rows of the calendar months the current window covers.

    A 14-day window compared with years of training data differs by season alone (summer load is
    not winter load); matching months keeps that out of the verdict. Falls back to the whole
    reference when those months hold fewer than `min_rows` rows (e.g. a model trained on weeks).
    """
    local = pd.to_datetime(reference[clock_column(reference)])
    same = reference[local.dt.month.isin(sorted(months)).to_numpy()]
    return same if len(same) >= min_rows else reference
