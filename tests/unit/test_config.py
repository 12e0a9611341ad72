"""Settings: embedded defaults under one folder, every store overridable by URL."""

from __future__ import annotations

from datetime import date

from gridflow.config import Settings, reset_settings, section
from gridflow.usecases.configs import LoadForecastConfig


def test_embedded_defaults_live_under_home(tmp_path):
    settings = Settings(home=tmp_path / "state")
    assert settings.warehouse_url == f"sqlite:///{tmp_path / 'state' / 'warehouse.db'}"
    assert settings.mlflow_tracking_uri == f"sqlite:///{tmp_path / 'state' / 'mlflow.db'}"
    assert settings.mlflow_artifact_root.startswith("file://")
    assert settings.prefect_api_url is None
    assert settings.local_prefect_api_url == "http://127.0.0.1:4200/api"


def test_environment_overrides_with_prefix_and_nesting(monkeypatch, tmp_path):
    monkeypatch.setenv("GRIDFLOW_HOME", str(tmp_path))
    monkeypatch.setenv("GRIDFLOW_WAREHOUSE_URL", "postgresql+psycopg://u@db/gridflow")
    monkeypatch.setenv("GRIDFLOW_LOAD_FORECAST__HOLDOUT_START", "2016-03-01")
    monkeypatch.setenv("GRIDFLOW_LOAD_FORECAST__MIN_RELATIVE_IMPROVEMENT", "0.05")
    reset_settings()  # settings and sections are read once per process
    settings = Settings()
    assert settings.warehouse_url == "postgresql+psycopg://u@db/gridflow"
    assert settings.home == tmp_path.resolve()
    # A part's own section (a use case) is read by the same rule.
    load_forecast = section("load_forecast", LoadForecastConfig)
    assert load_forecast.holdout_start == date(2016, 3, 1)
    assert load_forecast.min_relative_improvement == 0.05
    monkeypatch.undo()
    reset_settings()


def test_one_monitor_setting_from_the_environment_keeps_the_models_own_monitor_defaults(monkeypatch):
    from gridflow.usecases.configs import MeterForecastConfig, PriceForecastConfig

    monkeypatch.setenv("GRIDFLOW_PRICE_FORECAST__MONITOR__COOLDOWN_HOURS", "5")
    monkeypatch.setenv("GRIDFLOW_METER_FORECAST__MONITOR__COOLDOWN_HOURS", "6")
    reset_settings()
    try:
        prices = section("price_forecast", PriceForecastConfig).monitor
        meters = section("meter_forecast", MeterForecastConfig).monitor
    finally:
        reset_settings()
    assert (prices.cooldown_hours, prices.drift_threshold, prices.min_new_rows) == (5.0, 1.0, 7 * 24 * 4)
    assert (meters.cooldown_hours, meters.drift_threshold, meters.min_new_rows) == (6.0, 0.25, 14 * 48)
