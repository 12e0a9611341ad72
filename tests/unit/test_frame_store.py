"""Large frames in task results by reference: exact round trips, one file per content, stable digests."""

from __future__ import annotations

import pickle
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gridflow.errors import FrameMissing
from gridflow.fingerprint import fingerprint, frame_digest
from gridflow.frame_store import FrameStore, round_trips


@dataclass(frozen=True)
class Snapshot:
    frame: pd.DataFrame
    digest: str


def hourly(rows: int, seed: int = 0) -> pd.DataFrame:
    """The shape of the retrain flow's frames: zone strings, UTC and local times, flags, floats."""
    rng = np.random.default_rng(seed)
    utc = pd.date_range("2020-01-01", periods=rows, freq="h", tz="UTC")
    return pd.DataFrame({
        "zone": pd.array(rng.choice(["Z00", "Z01", "Z02"], rows), dtype="string"),
        "interval_start_utc": utc,
        "interval_start_local": utc.tz_convert("America/Chicago").tz_localize(None),
        "is_dst": rng.random(rows) > 0.5,
        "hour": np.arange(rows, dtype="int64") % 24,
        "load_mw": rng.normal(1000.0, 50.0, rows),
    })


def test_a_snapshot_with_frames_in_attrs_comes_back_equal(tmp_path):
    store = FrameStore(tmp_path, min_bytes=0)
    load = hourly(500)
    load.attrs["weather"] = hourly(200, seed=1)
    value = Snapshot(load, "abc")
    back = store.loads(store.dumps(value))
    pd.testing.assert_frame_equal(back.frame, load)
    pd.testing.assert_frame_equal(back.frame.attrs["weather"], load.attrs["weather"])
    assert back.digest == "abc"
    assert len(list(tmp_path.rglob("*.parquet"))) == 2


def test_the_pickle_holds_a_reference_not_the_frame(tmp_path):
    store = FrameStore(tmp_path, min_bytes=0)
    frame = hourly(20_000)
    assert len(store.dumps({"features": frame})) < 1_000 < len(pickle.dumps(frame))


def test_equal_content_is_stored_once_and_keeps_its_fingerprint(tmp_path):
    store = FrameStore(tmp_path, min_bytes=0)
    first, second = hourly(300), hourly(300)
    store.dumps([first, second])
    assert len(list(tmp_path.rglob("*.parquet"))) == 1
    back = store.loads(store.dumps(first))
    # A Retry reads the frame back: its cache keys must equal those of the run that wrote it.
    assert fingerprint({"features": back}) == fingerprint({"features": first}) == fingerprint({"features": hourly(300)})
    assert frame_digest(back) == frame_digest(back.copy())


def test_small_frames_and_frames_parquet_would_change_stay_in_the_pickle(tmp_path):
    store = FrameStore(tmp_path)  # default threshold: 1 MiB
    odd = pd.DataFrame({"payload": [{"a": 1}, None] * 60_000})
    value = {"small": hourly(10), "odd": odd}
    back = store.loads(store.dumps(value))
    pd.testing.assert_frame_equal(back["small"], value["small"])
    pd.testing.assert_frame_equal(back["odd"], odd)
    assert not list(tmp_path.rglob("*.parquet"))
    assert not round_trips(pd.DataFrame({1: [1.0]}))
    assert not round_trips(pd.DataFrame({"t": [1]}, index=pd.date_range("2024-01-01", periods=1, freq="h")))


def test_a_missing_file_is_named(tmp_path):
    store = FrameStore(tmp_path, min_bytes=0)
    blob = store.dumps(hourly(50))
    for path in tmp_path.rglob("*.parquet"):
        path.unlink()
    with pytest.raises(FrameMissing, match="missing at"):
        store.loads(blob)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.floats(allow_infinity=False), min_size=1, max_size=40),
       st.lists(st.text(max_size=5), min_size=1, max_size=40))
def test_free_form_values_round_trip_exactly(tmp_path_factory, numbers, texts):
    rows = min(len(numbers), len(texts))
    frame = pd.DataFrame({"x": numbers[:rows], "s": pd.array(texts[:rows], dtype="string")})
    store = FrameStore(tmp_path_factory.mktemp("frames"), min_bytes=0)
    back = store.loads(store.dumps(frame))
    pd.testing.assert_frame_equal(back, frame)
    assert frame_digest(back) == frame_digest(frame)


def test_nullable_and_extension_dtypes_and_a_named_index_come_back_exactly(tmp_path):
    store = FrameStore(tmp_path, min_bytes=0)
    frame = pd.DataFrame({
        "s": ["a", "b", None],
        "i": pd.array([1, None, 3], dtype="Int64"),
        "b": pd.array([True, None, False], dtype="boolean"),
        "t": pd.to_datetime(["2024-01-01", "2024-01-02", None]).tz_localize("UTC"),
        "f32": np.array([1, 2, 3], dtype="float32"),
    }, index=pd.Index([5, 6, 7], name="k"))
    pd.testing.assert_frame_equal(store.loads(store.dumps(frame)), frame)
    assert not round_trips(pd.DataFrame({"x": pd.arrays.SparseArray([0.0, 1.0])}))
