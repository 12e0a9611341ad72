"""The use-case registry and the hooks every use case declares through the base class."""

from __future__ import annotations

import pytest

from gridflow.config import reset_settings, section
from gridflow.errors import UnknownUseCaseError
from gridflow.forecast.features import CALENDAR_FEATURES
from gridflow.monitoring.decision import MonitorPolicy
from gridflow.usecases.base import UseCase
from gridflow.usecases.catalog import USE_CASES, get_use_case, known_use_cases, use_case_class
from gridflow.usecases.configs import (
    LoadForecastConfig,
    MonitorConfig,
    OutageRiskConfig,
    PlantOutputConfig,
    TransformerHealthConfig,
    UseCaseConfig,
)
from gridflow.usecases.load_forecast import LoadForecast


def test_every_registered_use_case_builds_from_its_settings_section():
    assert known_use_cases() == list(USE_CASES)
    assert {"load_forecast", "outage_risk", "load_forecast_noweather", "transformer_health", "plant_output",
            "meter_forecast"} <= set(USE_CASES)
    for name in ["load_forecast", "outage_risk", "transformer_health", "plant_output", "meter_forecast"]:
        use_case = get_use_case(name)
        assert isinstance(use_case, UseCase)
        assert use_case.name == name
        assert use_case.config == section(name, use_case.config_type)
        assert isinstance(use_case.config, UseCaseConfig)


def test_the_no_weather_fallback_reads_the_load_forecast_section_with_weather_off(monkeypatch):
    monkeypatch.setenv("GRIDFLOW_LOAD_FORECAST__ZONES", '["PJME", "AEP"]')
    monkeypatch.setenv("GRIDFLOW_LOAD_FORECAST__FALLBACK_MODEL", "load_forecast_noweather")
    monkeypatch.setenv("GRIDFLOW_WEATHER__SITES",
                       '[{"site": "BWI", "zone": "PJME", "latitude": 39.17, "longitude": -76.67, "station": "KBWI"}]')
    reset_settings()
    try:
        fallback = get_use_case("load_forecast_noweather")
        assert fallback.name == "load_forecast_noweather"
        assert fallback.config.zones == ["PJME", "AEP"]
        assert fallback.config.use_weather is False and fallback.config.fallback_model is None
        assert not fallback.uses_weather()
        assert not [c for c in fallback.feature_columns() if c.startswith("wx_")]
        assert [c for c in get_use_case("load_forecast").feature_columns() if c.startswith("wx_")]
    finally:
        monkeypatch.undo()
        reset_settings()


def test_a_use_case_reads_its_own_environment_variables(monkeypatch):
    monkeypatch.setenv("GRIDFLOW_OUTAGE_RISK__HOLDOUT_STORMS", "3")
    monkeypatch.setenv("GRIDFLOW_OUTAGE_RISK__MONITOR__COOLDOWN_HOURS", "6")
    monkeypatch.setenv("GRIDFLOW_LOAD_FORECAST__ZONES", '["PJME", "AEP"]')
    reset_settings()  # sections are read once per process, like the settings
    try:
        outage = get_use_case("outage_risk")
        assert outage.config.holdout_storms == 3
        assert outage.monitor.cooldown_hours == 6.0
        assert get_use_case("load_forecast").config.zones == ["PJME", "AEP"]
    finally:
        monkeypatch.undo()
        reset_settings()


def test_unknown_use_case_names_the_known_ones():
    with pytest.raises(UnknownUseCaseError, match="load_forecast, outage_risk, load_forecast_noweather, transformer_health, plant_output"):
        get_use_case("nope")


@pytest.mark.parametrize("name", ["load_forecast", "outage_risk", "transformer_health", "plant_output"])
def test_approval_gate_and_monitor_come_from_the_config(tmp_path, name):
    config_type = {"load_forecast": LoadForecastConfig, "outage_risk": OutageRiskConfig,
                   "transformer_health": TransformerHealthConfig, "plant_output": PlantOutputConfig}[name]
    config = config_type(require_approval=True, approval_timeout_hours=0.5, min_relative_improvement=0.05,
                         monitor=MonitorConfig(cooldown_hours=6.0))
    use_case = use_case_class(name)(config)
    assert use_case.require_approval is True
    assert use_case.approval_timeout_s == 1800
    assert use_case.gate.min_relative_improvement == 0.05
    assert use_case.gate.metric == use_case.gate_metric
    assert use_case.monitor == MonitorPolicy(cooldown_hours=6.0)


def test_defaults_need_no_approval_and_use_the_default_policy():
    use_case = LoadForecast()
    assert use_case.require_approval is False and use_case.approval_timeout_s == 24 * 3600
    assert use_case.monitor == MonitorPolicy()


def test_labels_and_drift_columns_are_declared_per_use_case(tmp_path):
    load = get_use_case("load_forecast")
    assert (load.baseline_label, load.rows_label) == ("seasonal-naive baseline", "hourly targets")
    # Calendar columns are fixed by the date over a two-week window: never watched for drift.
    assert load.drift_columns() and not set(load.drift_columns()) & set(CALENDAR_FEATURES)
    assert set(load.drift_columns()) < set(load.feature_columns())
    outage = get_use_case("outage_risk")
    assert outage.baseline_label == "climatology baseline"
    assert outage.drift_columns() == outage.feature_columns()


def test_summary_metrics_lead_with_the_gate_metric(tmp_path):
    for name in known_use_cases():
        use_case = get_use_case(name)
        assert use_case.summary_metrics()[0] == use_case.gate_metric
    assert get_use_case("load_forecast").summary_metrics() == ("mape", "rmse", "peak_hour_mape")


def test_summary_metrics_default_to_the_gate_metric():
    class Minimal(LoadForecast):
        headline_metrics = ()

    assert Minimal().summary_metrics() == ("mape",)
