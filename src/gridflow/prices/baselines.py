"""The naive price forecasts the model must beat: the same hour of D-1 (the gate's floor) and of D-7.

Both are known at issue time (D-1's prices were published on D-2), and both are read from the
feature rows' own lags, so a baseline and the model are scored on exactly the same hours.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

NAIVE_D1 = "lag_1d"
NAIVE_D7 = "lag_7d"
BASELINES = {"same_hour_d1": NAIVE_D1, "same_hour_d7": NAIVE_D7}


def naive_forecast(features: pd.DataFrame, which: str = "same_hour_d1") -> np.ndarray:
    """The price of the same local hour on D-1 (`same_hour_d1`) or D-7 (`same_hour_d7`); NaN where unknown."""
    return features[BASELINES[which]].to_numpy(dtype="float64")
