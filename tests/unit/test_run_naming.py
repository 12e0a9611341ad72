"""Run names say what a run is about: short, deterministic, safe whatever the parameters hold."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from gridflow import run_names


def test_retrain_names_the_model_and_what_started_it():
    assert run_names.retrain_name("load_forecast", "drift: drift share 60% >= 50% (lag_1d)") == \
        "retrain-load_forecast-drift"
    assert run_names.retrain_name("load_forecast.PJME", "schedule: weekly fleet retrain") == \
        "retrain-load_forecast.PJME-schedule"
    assert run_names.retrain_name("outage_risk", "manual (CLI)") == "retrain-outage_risk-manual"
    assert run_names.retrain_name("outage_risk", None) == "retrain-outage_risk-manual"
    assert run_names.retrain_name("outage_risk", "") == "retrain-outage_risk-manual"


def test_meter_ingest_names_the_folder_and_file_count():
    assert run_names.meter_ingest_name("/srv/gridflow/meters/incoming", 12) == "ingest-smart-meter-incoming-12-files"
    assert run_names.meter_ingest_name("/srv/drop/", 1) == "ingest-smart-meter-drop-1-file"
    assert run_names.meter_ingest_name("/srv/missing", None) == "ingest-smart-meter-missing-unreadable"


def test_poll_and_lists_name_their_items_and_count_the_rest():
    assert run_names.alerts_poll_name(["TX"]) == "poll-weather-alerts-TX"
    assert run_names.alerts_poll_name(["TX", "LA", "OK", "NM", "AR", "GMZ"]) == "poll-weather-alerts-TX-LA-OK-NM+2"
    assert run_names.alerts_poll_name(None) == "poll-weather-alerts-all-areas"
    assert run_names.weather_ingest_name(None) == "ingest-weather-all-sites"
    assert run_names.issue_forecast_name(["PJME", "DOM"], "2024-07-02") == "issue-load-forecast-2024-07-02-PJME-DOM"
    assert run_names.issue_forecast_name(None, None) == "issue-load-forecast-next-day-all-zones"
    assert run_names.pjm_ingest_name("hrl_load_metered", ["PJME"]) == "ingest-pjm-hrl_load_metered-PJME"
    assert run_names.inspection_name("TX-0042") == "plan-inspection-after-TX-0042"
    assert run_names.inspection_name(None) == "plan-inspection-manual"


def test_storm_names_the_event_area_and_version_not_a_hash():
    name = run_names.storm_name("Severe Thunderstorm Warning", "Fort Bend, TX; Galveston, TX; Harris, TX", 2, "Update")
    assert name == "storm-severe-thunderstorm-warning-fort-bend-tx+2-v2"
    assert run_names.storm_name("Hurricane Warning", "Harris, TX", 3, "Cancel") == "storm-hurricane-warning-harris-tx-v3-cancel"
    assert run_names.storm_name(None, None, None) == "storm-alert-no-area-v?"
    assert run_names.storm_fallback_name("urn:oid:2.49.0.1.840.0.0123456789abcdef.001.1").startswith(
        "storm-response-unknown-alert-")


@given(st.text(max_size=300))
def test_a_name_part_is_short_and_safe_whatever_the_text(text):
    part = run_names.name_part(text)
    assert 1 <= len(part) <= run_names.MAX_PART
    assert all(c.isascii() and (c.isalnum() or c in "-_.") for c in part)
    assert run_names.name_part(text) == part  # deterministic
