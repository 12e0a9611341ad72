"""`meter_forecast` as a fleet: feeders are its zones, each trained as `meter_forecast.<feeder>` on its
own households only."""

from __future__ import annotations

import pytest

from gridflow.fleet.plan import plan_fleet
from gridflow.usecases.catalog import get_use_case, use_case_for_zone
from tests.unit.consumption.sgsc_fixture import sgsc_readings

FEEDERS = '{"A": ["SGSC-100064*", "SGSC-100065*"], "B": ["SGSC-1001*"]}'


@pytest.fixture
def two_feeders(monkeypatch):
    from gridflow.config import reset_settings

    monkeypatch.setenv("GRIDFLOW_METER_FORECAST__FEEDERS", FEEDERS)
    monkeypatch.setenv("GRIDFLOW_METER_FORECAST__ZONES", '["A", "B"]')
    monkeypatch.setenv("GRIDFLOW_METER_FORECAST__MODEL_PER_ZONE", "true")
    reset_settings()
    yield
    monkeypatch.undo()
    reset_settings()


def test_the_fleet_plan_is_one_model_per_feeder(two_feeders):
    plan = plan_fleet("meter_forecast")
    assert plan.zones == ["A", "B"]
    assert plan.models == ["meter_forecast.A", "meter_forecast.B"]
    assert plan.gate_metric == "household_mae_mean"
    assert plan_fleet("meter_forecast", ["B"]).models == ["meter_forecast.B"]
    assert use_case_for_zone("meter_forecast", "B").name == "meter_forecast.B"


def test_a_feeder_model_sees_only_its_own_households(two_feeders):
    case = get_use_case("meter_forecast.B")
    assert case.name == "meter_forecast.B" and case.config.zones == ["B"]
    assert case.params()["feeders"] == "B=SGSC-1001*"
    feats = case.build_features(sgsc_readings())
    assert set(feats["zone"].dropna()) == {"B"}
    assert sorted(feats.loc[feats["zone"] == "B", "meter_id"].unique()) == ["SGSC-10014678", "SGSC-10017470"]
