"""The fleet's plan (which zone models), its report (every zone, failures named) and its conclusion."""

from __future__ import annotations

import pickle

import pytest

from gridflow.errors import ConfigError, FleetFailed
from gridflow.fleet import outcome
from gridflow.fleet.plan import plan_fleet, run_key
from gridflow.fleet.report import conclude, fleet_markdown


@pytest.fixture
def three_zones(monkeypatch):
    from gridflow.config import reset_settings

    monkeypatch.setenv("GRIDFLOW_LOAD_FORECAST__ZONES", '["PJME", "DOM", "FE"]')
    reset_settings()
    yield
    monkeypatch.undo()
    reset_settings()


def test_the_plan_is_every_configured_zone_or_a_selection(three_zones):
    plan = plan_fleet("load_forecast")
    assert plan.zones == ["PJME", "DOM", "FE"]
    assert plan.models == ["load_forecast.PJME", "load_forecast.DOM", "load_forecast.FE"]
    assert plan.gate_metric == "mape"
    assert plan_fleet("load_forecast", ["DOM", "DOM", "AEP"]).models == ["load_forecast.DOM", "load_forecast.AEP"]


def test_a_use_case_without_zones_has_no_fleet():
    with pytest.raises(ConfigError, match="not trained per zone"):
        plan_fleet("transformer_health")


def test_the_run_key_is_the_same_on_a_retry_and_differs_per_zone():
    assert run_key("run-1", "load_forecast.DOM") == run_key("run-1", "load_forecast.DOM")
    assert run_key("run-1", "load_forecast.DOM") != run_key("run-1", "load_forecast.PJME")
    assert run_key("run-1", "load_forecast.DOM") != run_key("run-2", "load_forecast.DOM")


def _outcomes():
    return [
        outcome.ZoneOutcome("load_forecast.PJME", "PJME", outcome.TRAINED, "3", "promote", "beats v2 by 4 %",
                            "mape", 0.031, 0.033, 0.071, "2"),
        outcome.ZoneOutcome("load_forecast.DOM", "DOM", outcome.TRAINED, "1", "promote", "no champion yet",
                            "mape", 0.041, None, 0.082, None),
        outcome.failure("load_forecast.FE", "FE", "ValidationFailed: dataset 'pjm_load' failed | row count\n"),
    ]


def test_the_report_lists_every_zone_and_names_the_failures(three_zones):
    markdown = fleet_markdown(plan_fleet("load_forecast"), _outcomes(), "schedule: weekly")
    assert "3 zone(s): 2 trained (2 promoted), 1 failed" in markdown
    assert "| PJME | `load_forecast.PJME` | v3 | 0.031 | v2: 0.033 | 0.071 | **promote** | beats v2 by 4 % |" in markdown
    assert "| DOM | `load_forecast.DOM` | v1 | 0.041 | none | 0.082 | **promote** |" in markdown
    # A reason is one table cell: pipes escaped, newlines folded.
    assert "| FE | `load_forecast.FE` | ValidationFailed: dataset 'pjm_load' failed \\| row count |" in markdown
    assert "re-runs only the failed zones" in markdown


def test_the_run_fails_naming_the_failed_zones_and_the_error_survives_pickling(three_zones):
    plan = plan_fleet("load_forecast")
    with pytest.raises(FleetFailed) as raised:
        conclude(plan, _outcomes())
    assert raised.value.failed == {"load_forecast.FE": "ValidationFailed: dataset 'pjm_load' failed | row count"}
    assert "1 zone(s) failed (2 trained and decided)" in str(raised.value)
    # Prefect stores the failed run's exception by pickling it.
    again = pickle.loads(pickle.dumps(raised.value))
    assert str(again) == str(raised.value) and again.failed == raised.value.failed
    assert conclude(plan, _outcomes()[:2]) == _outcomes()[:2]
