"""The sample inventory generator: real county codes, stated distributions, deterministic."""

from __future__ import annotations

import pandas as pd
import pytest

from gridflow.storm import inventory as inv


@pytest.fixture(scope="module")
def assets() -> pd.DataFrame:
    return inv.generate_inventory(20_000, seed=7)


def test_all_254_texas_counties_by_real_fips():
    counties = inv.county_table()
    assert len(inv.TEXAS_COUNTY_FIPS) == 254
    assert inv.TEXAS_COUNTY_FIPS[0] == "48001" and inv.TEXAS_COUNTY_FIPS[-1] == "48507"
    assert set(counties["county_fips"]) == set(inv.TEXAS_COUNTY_FIPS)
    named = counties.set_index("county_fips")["name"]
    for fips, name in [("48201", "Harris"), ("48157", "Fort Bend"), ("48167", "Galveston"), ("48039", "Brazoria"),
                       ("48113", "Dallas"), ("48439", "Tarrant"), ("48453", "Travis"), ("48029", "Bexar")]:
        assert named[fips] == name
    assert counties["population"].sum() == pytest.approx(inv.TEXAS_POPULATION_2020, rel=0.01)


def test_zones_are_synthetic_codes_outside_the_real_range_and_split_big_counties():
    zones = inv.zone_table()
    assert zones["nws_zone"].is_unique
    assert zones["nws_zone"].str.fullmatch(r"TXZ\d{3}").all()
    assert (zones["nws_zone"].str[3:].astype(int) >= 701).all()
    per_county = zones.groupby("county_fips").size()
    assert per_county["48201"] == 3 and per_county["48157"] == 2 and per_county["48167"] == 1
    harris = zones[zones["county_fips"] == "48201"]
    assert list(harris["service_center"]) == ["Harris North", "Harris Central", "Harris South"]


def test_inventory_has_the_asset_table_columns_and_is_deterministic(assets):
    assert list(assets.columns) == inv.ASSET_COLUMNS
    assert assets["asset_id"].is_unique
    pd.testing.assert_frame_equal(assets, inv.generate_inventory(20_000, seed=7))
    assert not assets.equals(inv.generate_inventory(20_000, seed=8))
    assert assets.notna().all().all()
    assert set(assets["asset_type"]) == set(inv.ASSET_TYPES)
    assert set(assets["material"]) <= set(inv.MATERIALS)
    assert assets["county_fips"].isin(inv.TEXAS_COUNTY_FIPS).all()


def test_assets_follow_population_and_zone_geography(assets):
    share = assets["county_fips"].value_counts(normalize=True)
    assert share.index[0] == "48201"  # Harris, the most populous county, has the most assets
    assert share["48201"] > share["48113"] > share["48453"]
    zones = inv.zone_table().set_index("nws_zone")
    assert (zones.loc[assets["nws_zone"], "county_fips"].to_numpy() == assets["county_fips"].to_numpy()).all()
    harris = assets[assets["county_fips"] == "48201"]
    north = harris[harris["service_center"] == "Harris North"]["latitude"]
    south = harris[harris["service_center"] == "Harris South"]["latitude"]
    assert north.min() > south.max()


def test_distributions_are_plausible(assets):
    by_type = assets.groupby("asset_type")
    customers = by_type["customers_served"].median()
    assert customers["feeder"] > 1_000 > customers["pole"] > customers["transformer"] >= 5
    assert by_type["outages_5y"].mean()["feeder"] > 3 * by_type["outages_5y"].mean()["pole"]
    assert assets["vegetation_exposure"].between(0, 1).all()
    assert assets["age_years"].between(0, 80).all()
    poles = assets[assets["asset_type"] == "pole"]
    assert (poles["material"] == "wood").mean() > 0.7
    east = assets[assets["longitude"] > -96.0]["vegetation_exposure"].mean()
    west = assets[assets["longitude"] < -100.5]["vegetation_exposure"].mean()
    assert east > 2 * west
    underground = assets[assets["material"] == "underground"]["vegetation_exposure"]
    assert underground.max() < 0.1


def test_rejects_an_empty_inventory():
    with pytest.raises(ValueError):
        inv.generate_inventory(0)
