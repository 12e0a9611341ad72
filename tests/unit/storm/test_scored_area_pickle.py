"""A scored area survives the pickle its persisted task result goes through: same rows, same
values, same cache-key fingerprint (an operator's Retry finds the step cached)."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest

from gridflow.fingerprint import fingerprint
from gridflow.storm.inventory import generate_inventory
from gridflow.storm.plan import PLAN_INPUT_COLUMNS, build_crew_plan
from gridflow.storm.responder import ScoredArea


@pytest.mark.parametrize("ids", ["object", "string"])
def test_a_scored_area_round_trips_through_pickle(ids):
    assets = generate_inventory(3_000, seed=4)
    scored = assets.assign(probability=np.random.default_rng(1).beta(1, 20, len(assets)))[PLAN_INPUT_COLUMNS]
    scored = scored.assign(asset_id=scored["asset_id"].astype(ids))
    area = ScoredArea(scored, "outage_risk", "7", {"score": 1.5})

    back = pickle.loads(pickle.dumps(area, protocol=5))

    pd.testing.assert_frame_equal(back.scored, area.scored, check_dtype=False)
    assert (back.model_name, back.model_version, back.seconds) == ("outage_risk", "7", {"score": 1.5})
    assert fingerprint(back) == fingerprint(area)
    plan = build_crew_plan(back.scored, 0.25, 5, context="test")
    assert plan == build_crew_plan(area.scored, 0.25, 5, context="test")


def test_an_empty_area_round_trips():
    empty = pd.DataFrame({"asset_id": pd.Series(dtype=object), "service_center": pd.Series(dtype=object),
                          "customers_served": pd.Series(dtype="int64"), "probability": pd.Series(dtype="float64")})
    back = pickle.loads(pickle.dumps(ScoredArea(empty[PLAN_INPUT_COLUMNS], "outage_risk", "1")))
    assert back.scored.empty and list(back.scored.columns) == PLAN_INPUT_COLUMNS
