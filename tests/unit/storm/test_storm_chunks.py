"""Scoring an area in chunks: the split tiles the rows, the join puts the scores back exactly."""

from __future__ import annotations

import math
import os
import pickle
import random

import cloudpickle
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gridflow.fingerprint import fingerprint
from gridflow.storm.chunks import ChunkScores, chunk_bounds, join_scores, split_features
from gridflow.storm.features import build_features
from gridflow.storm.history import generate_storm_history
from gridflow.storm.inventory import generate_inventory
from gridflow.storm.responder import AlertArea, ModelRef, chunk_threads, score_chunk
from gridflow.storm.scoring import fit_outage_model, score_frame, with_threads

STORM = {"event": "Hurricane Warning", "severity": "Extreme", "max_wind_gust_mph": 95.0}


@pytest.fixture(scope="module")
def area():
    """A small fitted outage model and the features of 2,500 assets under a hurricane."""
    assets = generate_inventory(2_500, seed=7)
    rows = generate_storm_history(assets, n_storms=12, seed=7).merge(assets, on="asset_id")
    model = fit_outage_model(build_features(rows), rows["failed"], rows["storm_id"], {"n_estimators": 30}, folds=2)
    return assets, build_features(assets, STORM), model


@given(n=st.integers(0, 20_000), max_rows=st.integers(1, 5_000))
def test_bounds_tile_the_rows_in_the_fewest_even_chunks(n, max_rows):
    bounds = chunk_bounds(n, max_rows)
    assert len(bounds) == math.ceil(n / max_rows)
    assert [start for start, _ in bounds] == ([0] + [stop for _, stop in bounds[:-1]])[:len(bounds)]
    assert (bounds[-1][1] if bounds else 0) == n
    sizes = [stop - start for start, stop in bounds]
    assert all(0 < size <= max_rows for size in sizes)
    assert not sizes or max(sizes) - min(sizes) <= 1


def test_a_small_area_is_one_chunk_and_none_is_none():
    assert chunk_bounds(999, 1_000) == [(0, 999)]
    assert chunk_bounds(1_000, 1_000) == [(0, 1_000)]
    assert chunk_bounds(1_001, 1_000) == [(0, 501), (501, 1_001)]
    assert chunk_bounds(0, 1_000) == []
    assert join_scores([], 0).shape == (0,)
    with pytest.raises(ValueError):
        chunk_bounds(10, 0)


# At least 100 rows a chunk: a predict call per row would make each example slow, not more telling.
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(n=st.integers(0, 2_500), max_rows=st.integers(100, 3_000), seed=st.integers(0, 2**16))
def test_chunked_scores_equal_one_call_whatever_order_they_arrive_in(area, n, max_rows, seed):
    _, features, model = area
    frame = features.iloc[:n]
    chunks = split_features(frame, max_rows)
    assert [c.index for c in chunks] == list(range(len(chunks))) and all(c.count == len(chunks) for c in chunks)
    pd.testing.assert_frame_equal(pd.concat([c.features for c in chunks]) if chunks else frame.iloc[:0], frame)
    # Through pickle, as a Dask worker gets them, and gathered in any order.
    parts = [pickle.loads(cloudpickle.dumps(score_chunk(pickle.loads(cloudpickle.dumps(c)), ModelRef("m", "1", model))))
             for c in chunks]
    random.Random(seed).shuffle(parts)
    np.testing.assert_array_equal(join_scores(parts, n), score_frame(model, frame))


def test_a_lost_or_doubled_chunk_is_an_error():
    a = ChunkScores(0, 0, np.zeros(3))
    b = ChunkScores(1, 3, np.ones(2))
    np.testing.assert_array_equal(join_scores([b, a], 5), [0, 0, 0, 1, 1])
    with pytest.raises(ValueError, match="missing or doubled"):
        join_scores([a, a, b], 8)
    with pytest.raises(ValueError, match="missing or doubled"):
        join_scores([b], 2)
    with pytest.raises(ValueError, match="cover 5 rows"):
        join_scores([a, b], 6)


def test_cache_keys_name_the_model_not_its_bytes_and_survive_pickle(area):
    assets, features, model = area
    shipped, referenced = ModelRef("outage_risk", "3", model), ModelRef("outage_risk", "3")
    assert fingerprint(shipped) == fingerprint(referenced) != fingerprint(ModelRef("outage_risk", "4"))
    (chunk,) = split_features(features, 10_000)
    assert fingerprint(pickle.loads(cloudpickle.dumps(chunk))) == fingerprint(chunk)
    kept = assets[["asset_id", "service_center", "customers_served"]]
    whole = AlertArea(shipped, kept, [chunk], 3, 0)
    assert fingerprint(pickle.loads(pickle.dumps(whole))) == fingerprint(AlertArea(referenced, kept, [chunk], 3, 0))
    assert fingerprint(whole) != fingerprint(AlertArea(shipped, kept, split_features(features, 1_000), 3, 0))
    # The shipped estimator crosses the process boundary and predicts the same.
    np.testing.assert_array_equal(pickle.loads(cloudpickle.dumps(shipped)).load().predict(features),
                                  model.predict(features))


def test_chunks_scored_at_once_share_the_cores(area, monkeypatch):
    _, features, model = area
    monkeypatch.setattr(os, "cpu_count", lambda: 8)
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    assert [chunk_threads(1, 2), chunk_threads(5, 2), chunk_threads(5, 16), chunk_threads(3, 1)] == [8, 4, 1, 8]
    monkeypatch.setenv("OMP_NUM_THREADS", "1")  # what Dask gives each worker process
    assert chunk_threads(1, 2) == 1
    # The shared model is left alone; a capped copy predicts the same.
    threads = model.booster.save_config()
    capped = with_threads(model, 1)
    assert capped is not model and model.booster.save_config() == threads
    assert '"nthread":"1"' in capped.booster.save_config().replace(" ", "")
    assert with_threads(capped, 4) is capped
    np.testing.assert_array_equal(capped.predict(features), model.predict(features))
