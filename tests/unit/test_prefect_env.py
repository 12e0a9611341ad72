"""The Prefect environment gridflow gives its processes: heartbeats for crash detection."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from gridflow.config import Settings, reset_settings
from gridflow.prefect_env import HeartbeatConfig, heartbeat_config, prefect_environment


@pytest.fixture
def fresh_settings(monkeypatch):
    yield monkeypatch
    monkeypatch.undo()
    reset_settings()


def test_runs_beat_every_minute_and_crash_after_four_missed(fresh_settings, tmp_path):
    env = prefect_environment(Settings(home=tmp_path), "http://127.0.0.1:4200/api")
    assert env["PREFECT_FLOWS_HEARTBEAT_FREQUENCY"] == "60"
    # Longer than Prefect's own default period (180 s), which a process not started by gridflow keeps.
    assert heartbeat_config().crash_after == timedelta(minutes=4) > timedelta(seconds=180)


def test_heartbeat_is_configurable(fresh_settings, tmp_path):
    fresh_settings.setenv("GRIDFLOW_HEARTBEAT__SECONDS", "30")
    fresh_settings.setenv("GRIDFLOW_HEARTBEAT__MISSED", "2")
    reset_settings()
    env = prefect_environment(Settings(home=tmp_path), "http://127.0.0.1:4200/api")
    assert env["PREFECT_FLOWS_HEARTBEAT_FREQUENCY"] == "30"
    assert heartbeat_config().crash_after == timedelta(seconds=60)


def test_prefect_refuses_heartbeats_faster_than_30_s_and_one_miss_is_no_crash():
    with pytest.raises(ValidationError):
        HeartbeatConfig(seconds=10)
    with pytest.raises(ValidationError):
        HeartbeatConfig(missed=1)
