"""Content fingerprints: equal content gives equal keys, through pickle round trips and nesting."""

from __future__ import annotations

import pickle
from dataclasses import dataclass

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from gridflow.fingerprint import fingerprint


@dataclass(frozen=True)
class Holder:
    frame: pd.DataFrame
    label: str


def frame(values) -> pd.DataFrame:
    return pd.DataFrame({"a": values, "b": [str(v) for v in values],
                         "t": pd.date_range("2024-01-01", periods=len(values), freq="h", tz="UTC")})


@given(st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=1, max_size=50))
def test_pickle_round_trip_keeps_the_fingerprint(values):
    original = Holder(frame(values), "x")
    assert fingerprint(pickle.loads(pickle.dumps(original))) == fingerprint(original)


def test_content_changes_change_the_fingerprint():
    base = frame([1.0, 2.0, 3.0])
    changed = base.copy()
    changed.loc[1, "a"] = 2.5
    assert fingerprint(base) != fingerprint(changed)
    assert fingerprint(base) != fingerprint(base.astype({"a": "float32"}))
    assert fingerprint({"x": base, "n": 1}) != fingerprint({"x": base, "n": 2})
    assert fingerprint([np.arange(3)]) != fingerprint([np.arange(4)])


def test_copies_and_reordered_dicts_agree():
    base = frame([1.0, 2.0])
    assert fingerprint(base) == fingerprint(base.copy())
    assert fingerprint({"a": 1, "b": base}) == fingerprint({"b": base.copy(), "a": 1})


def test_a_type_with_its_own_digest_is_fingerprinted_by_it():
    class Cheap:
        def __init__(self, value):
            self.value = value

        def __fingerprint__(self):
            return str(self.value)

    assert fingerprint(Cheap(1)) == fingerprint(Cheap(1)) != fingerprint(Cheap(2))
    assert fingerprint({"a": Cheap(1)}) != fingerprint({"a": 1})


def test_a_remembered_digest_is_reused_until_the_frame_changes_shape():
    from gridflow.fingerprint import frame_digest, remember_frame_digest

    base = frame([1.0, 2.0, 3.0])
    remember_frame_digest(base, "remembered")
    assert frame_digest(base) == "remembered"
    assert frame_digest(base.copy()) != "remembered"  # another object: hashed
    base["c"] = 1
    assert frame_digest(base) != "remembered"
