"""The dataset digest recorded as lineage covers the frames riding in `attrs` (the weather)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from gridflow.training.data import dataset_digest


@dataclass(frozen=True)
class _Inputs:
    daily: pd.DataFrame
    note: str = "not a frame"


def _load() -> pd.DataFrame:
    return pd.DataFrame({"zone": ["PJME", "PJME"], "load_mw": [31_000.0, 30_500.0]})


def test_digest_without_attrs_is_the_plain_row_hash_and_stable():
    assert dataset_digest(_load()) == dataset_digest(_load())
    assert len(dataset_digest(_load())) == 16


def test_a_change_in_the_weather_changes_the_digest_not_the_load_alone():
    plain = _load()
    with_weather = _load()
    with_weather.attrs["weather"] = _Inputs(pd.DataFrame({"tmax_f": [88.0]}))
    warmer = _load()
    warmer.attrs["weather"] = _Inputs(pd.DataFrame({"tmax_f": [89.0]}))
    digests = {dataset_digest(plain), dataset_digest(with_weather), dataset_digest(warmer)}
    assert len(digests) == 3
    again = _load()
    again.attrs["weather"] = _Inputs(pd.DataFrame({"tmax_f": [88.0]}))
    assert dataset_digest(again) == dataset_digest(with_weather)
