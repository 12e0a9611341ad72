"""A key-gas rule from standard dissolved-gas analysis, mapped to a health-index score: the floor
the `transformer_health` model must beat.

Limits: IEEE Std C57.104-2008, "IEEE Guide for the Interpretation of Gases Generated in
Oil-Immersed Transformers", Table 1 (dissolved key gas concentration limits, ppm). Each key gas and
the total dissolved combustible gas (TDCG = H2 + CH4 + C2H6 + C2H4 + C2H2 + CO) falls in
Condition 1 (normal) .. 4 (excessive decomposition, continued operation may fail the unit):

    gas    Condition 1 upper   Condition 2 upper   Condition 3 upper   (Condition 4 above)
    H2           100                 700               1800
    CH4          120                 400               1000
    C2H2           1                   9                 35
    C2H4          50                 100                200
    C2H6          65                 100                150
    CO           350                 570               1400
    CO2         2500                4000              10000
    TDCG         720                1920               4630

Score: the mean condition over the eight figures, placed on 0..100 where higher is worse (the
dataset's health index rises with deterioration, see docs/data-formats.md): each condition c
scores the middle of its quarter, 25 * (c - 0.5), so all-normal = 12.5 and all-excessive = 87.5.
The mean (not IEEE's "worst gas decides") because a single CO2 or C2H2 excursion is common on
healthy units and a one-gas rule would call most of the fleet critical. Nothing is fitted: it is
what an engineer with the IEEE table and no model would say.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# Upper limits of Conditions 1, 2, 3 (ppm) per figure; above the last is Condition 4.
IEEE_C57_104_2008_LIMITS: dict[str, tuple[float, float, float]] = {
    "hydrogen_ppm": (100.0, 700.0, 1800.0),
    "methane_ppm": (120.0, 400.0, 1000.0),
    "acetylene_ppm": (1.0, 9.0, 35.0),
    "ethylene_ppm": (50.0, 100.0, 200.0),
    "ethane_ppm": (65.0, 100.0, 150.0),
    "co_ppm": (350.0, 570.0, 1400.0),
    "co2_ppm": (2500.0, 4000.0, 10000.0),
    "tdcg_ppm": (720.0, 1920.0, 4630.0),
}
# The combustible gases summed into TDCG (CO2, O2 and N2 do not burn).
TDCG_GASES = ("hydrogen_ppm", "methane_ppm", "ethane_ppm", "ethylene_ppm", "acetylene_ppm", "co_ppm")
KEY_GASES = tuple(g for g in IEEE_C57_104_2008_LIMITS if g != "tdcg_ppm")


def tdcg(frame: pd.DataFrame) -> np.ndarray:
    """Total dissolved combustible gas (ppm) per row."""
    return frame.loc[:, list(TDCG_GASES)].to_numpy(dtype="float64").sum(axis=1)


def condition(values: np.ndarray, limits: tuple[float, float, float]) -> np.ndarray:
    """IEEE condition 1..4 of each concentration: a value at a limit is still in the lower condition."""
    return np.searchsorted(np.asarray(limits), np.asarray(values, dtype="float64"), side="left") + 1


def gas_conditions(frame: pd.DataFrame) -> pd.DataFrame:
    """Condition 1..4 of every key gas and of TDCG, one column per figure, one row per reading."""
    figures = {gas: frame[gas].to_numpy(dtype="float64") for gas in KEY_GASES}
    figures["tdcg_ppm"] = tdcg(frame)
    return pd.DataFrame({name: condition(values, IEEE_C57_104_2008_LIMITS[name])
                         for name, values in figures.items()}, index=frame.index)


def dga_health_score(frame: pd.DataFrame) -> np.ndarray:
    """The rule's health index per reading, 12.5 (all normal) .. 87.5 (all excessive); higher is worse."""
    mean_condition = gas_conditions(frame).to_numpy(dtype="float64").mean(axis=1)
    return 25.0 * (mean_condition - 0.5)
