"""The IEEE C57.104-2008 key-gas rule and its health score."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gridflow.transformers.dga_baseline import (
    IEEE_C57_104_2008_LIMITS,
    KEY_GASES,
    condition,
    dga_health_score,
    gas_conditions,
    tdcg,
)


def _unit(**ppm: float) -> pd.DataFrame:
    return pd.DataFrame([{gas: ppm.get(gas, 0.0) for gas in KEY_GASES}])


def test_a_limit_belongs_to_the_lower_condition():
    limits = IEEE_C57_104_2008_LIMITS["hydrogen_ppm"]
    assert condition(np.array([0, 100, 101, 700, 701, 1800, 1801]), limits).tolist() == [1, 1, 2, 2, 3, 3, 4]


def test_acetylene_above_one_ppm_is_already_condition_two():
    assert condition(np.array([1.0, 2.0, 35.0, 36.0]), IEEE_C57_104_2008_LIMITS["acetylene_ppm"]).tolist() == [1, 2, 3, 4]


def test_tdcg_sums_the_combustible_gases_only():
    unit = _unit(hydrogen_ppm=10, methane_ppm=20, ethane_ppm=30, ethylene_ppm=40, acetylene_ppm=1, co_ppm=100,
                 co2_ppm=5000)
    assert tdcg(unit).tolist() == [201.0]


@pytest.mark.parametrize(("ppm", "score"), [
    ({}, 12.5),  # every figure normal
    ({g: 1e6 for g in KEY_GASES}, 87.5),  # every figure excessive, TDCG too
    ({"acetylene_ppm": 50.0}, 12.5 + 25.0 * 3 / 8),  # one gas at condition 4, the rest normal
])
def test_score_is_the_mean_condition_on_zero_to_hundred(ppm, score):
    assert dga_health_score(_unit(**ppm)) == pytest.approx([score])


def test_more_gas_never_lowers_the_score():
    rng = np.random.default_rng(0)
    low = pd.DataFrame(rng.uniform(0, 3000, size=(200, len(KEY_GASES))), columns=list(KEY_GASES))
    high = low * rng.uniform(1.0, 3.0, size=low.shape)
    assert (dga_health_score(high) >= dga_health_score(low)).all()
    assert list(gas_conditions(low).columns) == list(IEEE_C57_104_2008_LIMITS)
