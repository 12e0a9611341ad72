"""One feature function for training and scoring; which assets an alert's area covers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gridflow.storm import features as sf
from gridflow.storm.history import generate_storm_history
from gridflow.storm.inventory import generate_inventory


@pytest.fixture(scope="module")
def assets() -> pd.DataFrame:
    return generate_inventory(3_000, seed=2)


def test_training_rows_and_alert_scoring_give_identical_features(assets):
    # No train/serve skew: a storm's training rows (storm figures per row) and the same storm as an
    # alert applied to the same assets (figures as scalars) give bit-identical inputs.
    outcomes = generate_storm_history(assets, n_storms=12, seed=2)
    training = outcomes.merge(assets, on="asset_id")
    for _, storm in training.groupby("storm_id"):
        first = storm.iloc[0]
        alert = sf.storm_attributes({"event": first["event"], "severity": first["severity"],
                                     "max_wind_gust_mph": first["max_wind_gust_mph"],
                                     "max_hail_in": first["max_hail_in"]})
        served = sf.build_features(assets.set_index("asset_id").loc[storm["asset_id"]].reset_index(), alert)
        trained = sf.build_features(storm.reset_index(drop=True))
        pd.testing.assert_frame_equal(trained, served)


def test_features_are_float64_in_a_fixed_order(assets):
    alert = {"event": "Hurricane Warning", "severity": "Extreme", "max_wind_gust_mph": 110, "max_hail_in": None}
    feats = sf.build_features(assets, alert)
    assert list(feats.columns) == sf.FEATURE_COLUMNS
    assert (feats.dtypes == "float64").all()
    assert feats.index.equals(assets.index)
    assert (feats["event_hurricane"] == 1).all() and (feats["event_thunderstorm"] == 0).all()
    assert (feats["severity_level"] == 4).all() and (feats["max_wind_gust_mph"] == 110).all()
    assert feats["max_hail_in"].isna().all()  # missing stays missing: XGBoost routes it
    one_hot = feats[[c for c in sf.FEATURE_COLUMNS if c.startswith("type_")]].sum(axis=1)
    assert (one_hot == 1).all()


def test_unknown_categories_become_zeros_not_errors(assets):
    few = assets.head(5).assign(material=["bamboo", "wood", None, "steel", "wood"])
    feats = sf.build_features(few, {"event": "Dust Storm Warning", "severity": "Weird", "max_wind_gust_mph": "n/a"})
    assert feats[[c for c in feats if c.startswith("event_")]].to_numpy().sum() == 0
    assert (feats["severity_level"] == 0).all() and feats["max_wind_gust_mph"].isna().all()
    assert feats.loc[few.index[0], [c for c in feats if c.startswith("material_")]].sum() == 0
    assert feats.loc[few.index[1], "material_wood"] == 1


def test_alert_area_parses_same_and_ugc_codes():
    counties, zones = sf.alert_area(["048201", "048157"], ["TXC167", "TXZ213", "LAC001", "bogus", "TXZ2X3"],
                                    ["48039"])
    assert counties == {"48201", "48157", "48167", "48039", "22001"}
    assert zones == {"TXZ213"}


def test_select_assets_by_county_zone_or_both(assets):
    harris = (assets["county_fips"] == "48201").to_numpy()
    zone = assets["nws_zone"].iloc[-1]
    in_zone = (assets["nws_zone"] == zone).to_numpy()
    np.testing.assert_array_equal(sf.select_assets(assets, {"048201"}, set()), harris)
    np.testing.assert_array_equal(sf.select_assets(assets, set(), {"TXC201"}), harris)
    np.testing.assert_array_equal(sf.select_assets(assets, set(), {zone}), in_zone)
    np.testing.assert_array_equal(sf.select_assets(assets, {"48201"}, {zone}), harris | in_zone)
    assert not sf.select_assets(assets, set(), set()).any()
    payload = {"same_codes": ["048201"], "ugc_codes": [zone], "county_fips": []}
    np.testing.assert_array_equal(sf.alert_mask(assets, payload), harris | in_zone)


@settings(max_examples=50, deadline=None)
@given(codes=st.lists(st.sampled_from(["048201", "048113", "TXC453", "TXZ999", "048029", "x", "TXC"]), max_size=6))
def test_selection_is_the_union_of_its_parts(assets, codes):
    same = {c for c in codes if c.isdigit()}
    ugc = {c for c in codes if not c.isdigit()}
    whole = sf.select_assets(assets, same, ugc)
    parts = np.zeros(len(assets), dtype=bool)
    for code in same:
        parts |= sf.select_assets(assets, {code}, set())
    for code in ugc:
        parts |= sf.select_assets(assets, set(), {code})
    np.testing.assert_array_equal(whole, parts)
