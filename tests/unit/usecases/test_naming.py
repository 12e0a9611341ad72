"""Per-zone registered-model names: split, build, refuse what would not round-trip; the catalog
serves a per-zone use case with the use case's settings narrowed to its zone."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gridflow.errors import UnknownUseCaseError
from gridflow.usecases.catalog import get_use_case, use_case_for_zone, zoned_use_cases
from gridflow.usecases.naming import slug, split_model_name, zone_model_name


@pytest.mark.parametrize(("name", "expected"), [
    ("load_forecast", ("load_forecast", None)),
    ("load_forecast.PJME", ("load_forecast", "PJME")),
    ("load_forecast.LZ_HOUSTON", ("load_forecast", "LZ_HOUSTON")),
    ("load_forecast.FAR-WEST", ("load_forecast", "FAR-WEST")),
])
def test_split(name, expected):
    assert split_model_name(name) == expected


@pytest.mark.parametrize("name", ["load_forecast.", "load_forecast.A.B", "load_forecast.a b", "load_forecast._X"])
def test_a_zone_that_is_no_zone_name_is_refused(name):
    with pytest.raises(UnknownUseCaseError, match="not a zone name"):
        split_model_name(name)


@given(st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_\-]{0,20}", fullmatch=True))
def test_zone_names_round_trip(zone):
    assert split_model_name(zone_model_name("load_forecast", zone)) == ("load_forecast", zone)


def test_slug_is_an_artifact_key():
    assert slug("load_forecast.PJME") == "load-forecast-pjme"
    assert slug("approve-load_forecast.DOM-v3") == "approve-load-forecast-dom-v3"


def test_a_zone_model_is_the_use_case_narrowed_to_its_zone(monkeypatch):
    from gridflow.config import reset_settings

    monkeypatch.setenv("GRIDFLOW_LOAD_FORECAST__ZONES", '["PJME", "DOM"]')
    monkeypatch.setenv("GRIDFLOW_LOAD_FORECAST__HOLDOUT_DAYS", "60")
    reset_settings()
    try:
        zone = get_use_case("load_forecast.DOM")
        whole = get_use_case("load_forecast")
        assert (zone.name, zone.config.zones, zone.config.holdout_days) == ("load_forecast.DOM", ["DOM"], 60)
        assert (whole.name, whole.config.zones) == ("load_forecast", ["PJME", "DOM"])
        assert type(zone).name == "load_forecast"  # the class is untouched
        # Off by default: every zone is issued with the one model; on: with its own.
        assert use_case_for_zone("load_forecast", "DOM").name == "load_forecast"
        monkeypatch.setenv("GRIDFLOW_LOAD_FORECAST__MODEL_PER_ZONE", "true")
        reset_settings()
        assert use_case_for_zone("load_forecast", "DOM").name == "load_forecast.DOM"
        assert use_case_for_zone("load_forecast", "DOM").config.zones == ["DOM"]
    finally:
        monkeypatch.undo()
        reset_settings()


def test_only_a_use_case_with_zones_has_zone_models():
    assert "load_forecast" in zoned_use_cases() and "transformer_health" not in zoned_use_cases()
    with pytest.raises(UnknownUseCaseError, match="has no zones"):
        get_use_case("transformer_health.PJME")
    with pytest.raises(UnknownUseCaseError, match="unknown use case 'nope'"):
        get_use_case("nope.PJME")
