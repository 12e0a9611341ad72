"""Every main flow, run against the real Prefect server, reads back with a name that says what the
run is about and (retrain, drift monitor) a final state named after its decision, still COMPLETED.

Storm: the plan of a warning's first version is superseded by its Update; the first run's own
artifact is re-headed SUPERSEDED and each warning keeps its own artifact key.
"""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

from tests.conftest import write_pjme_excerpt

pytestmark = pytest.mark.integration

METERS = Path(__file__).resolve().parents[1] / "fixtures" / "meters"


def read_run(flow_run_id):
    from prefect.client.orchestration import get_client

    async def read():
        async with get_client() as client:
            return await client.read_flow_run(flow_run_id)

    return asyncio.run(read())


def run_artifacts(flow_run_id) -> list:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    async def read():
        async with get_client() as client:
            return await client.read_artifacts(
                artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id])))

    return asyncio.run(read())


def finished(state):
    """(run name, state type, state name) of a finished flow run, as the API stores them."""
    run = read_run(state.state_details.flow_run_id)
    return run.name, run.state.type.value, run.state.name


def test_retrain_and_drift_runs_say_what_they_decided(gridflow_env, tmp_path):
    from flows.ingest_pjm_load import ingest_pjm_load
    from flows.monitor_drift import monitor_drift
    from flows.retrain import retrain
    from gridflow.run_outcomes import drift_state_name

    ingest_pjm_load(str(write_pjme_excerpt(tmp_path / "pjme.csv", "2013-01-01", "2016-01-01")))

    promoted = retrain(model="load_forecast", trigger="test: first champion", return_state=True)
    assert promoted.result().decision.action == "promote"  # the caller still gets the result
    assert finished(promoted) == ("retrain-load_forecast-test", "COMPLETED", "Promoted")

    # Same data, same estimator: the gate refuses the second challenger.
    rejected = retrain(model="load_forecast", trigger="manual (CLI)", return_state=True)
    result = rejected.result()
    assert result.decision.action == "reject", result.decision.reason
    assert finished(rejected) == ("retrain-load_forecast-manual", "COMPLETED", "Rejected")
    assert read_run(rejected.state_details.flow_run_id).state.message.startswith(result.decision.reason[:40])

    # The excerpt's last half year is past the champion's training window: its error has grown.
    checked = monitor_drift(model="load_forecast", window_days=14, return_state=True)
    check = checked.result()
    assert check.action == "retrain", check.reason
    assert finished(checked) == ("monitor-drift-load_forecast", "COMPLETED", "Retrain")
    assert drift_state_name(check.action) == "Retrain"

    # Inside the cool-down the same findings only warn.
    warned = monitor_drift(model="load_forecast", window_days=14, return_state=True)
    assert "cool-down" in warned.result().reason
    assert finished(warned) == ("monitor-drift-load_forecast", "COMPLETED", "Warn")


def test_ingest_runs_name_their_folder_and_files(gridflow_env, tmp_path):
    from flows.ingest_smart_meter import ingest_smart_meter

    drop = tmp_path / "incoming"
    drop.mkdir()
    shutil.copy(METERS / "smt_interval_15min_IntervalData_dst_days_excerpt_esiid_masked.csv", drop / "a_smt.csv")
    shutil.copy(METERS / "greenbutton_csv_sce_net_metering_SCE-NEMFILE.sample.csv", drop / "b_sce.csv")

    state = ingest_smart_meter(str(drop), return_state=True)
    assert state.result().count("loaded") == 2
    assert finished(state) == ("ingest-smart-meter-incoming-2-files", "COMPLETED", "Completed")


def test_storm_runs_name_the_warning_and_superseded_plans_say_so(gridflow_env, monkeypatch):
    from flows.poll_weather_alerts import poll_weather_alerts
    from flows.retrain import retrain
    from flows.storm_response import storm_response
    from gridflow.config import reset_settings
    from gridflow.replay import ReplayServer
    from gridflow.replay.nws import SVR_ALERT_ID, SVR_UPDATE_ID, serve_nws, texas_storm_scenario
    from gridflow.storm.history import generate_storm_history
    from gridflow.storm.inventory import generate_inventory
    from gridflow.warehouse.storm import write_assets, write_storm_outcomes
    from tasks.common import warehouse

    monkeypatch.setenv("GRIDFLOW_STORM__BACKOFF_SECONDS", "0.01")
    reset_settings()
    inventory = generate_inventory(6_000, seed=3)
    with warehouse().begin() as conn:
        write_assets(conn, inventory)
        write_storm_outcomes(conn, generate_storm_history(inventory, n_storms=24, seed=3))
    assert retrain("outage_risk", trigger="test: run names").decision.action == "promote"

    with ReplayServer() as server:
        nws = serve_nws(server, texas_storm_scenario())
        polled = poll_weather_alerts(areas=["TX"], base_url=server.base_url, return_state=True)
        assert finished(polled)[:2] == ("poll-weather-alerts-TX", "COMPLETED")
        first = storm_response(SVR_ALERT_ID, return_state=True)
        nws.advance()
        nws.advance()  # the same list again, then the Update (adds Brazoria)
        poll_weather_alerts(base_url=server.base_url)
        second = storm_response(SVR_UPDATE_ID, return_state=True)

    # Harris, Fort Bend and Galveston counties; the Update adds Brazoria.
    assert finished(first)[:2] == ("storm-severe-thunderstorm-warning-harris-tx+2-v1", "COMPLETED")
    assert finished(second)[:2] == ("storm-severe-thunderstorm-warning-harris-tx+3-v2", "COMPLETED")

    # The first run's plan artifact now says what its plan is: superseded, under a banner.
    (old,) = [a for a in run_artifacts(first.state_details.flow_run_id) if a.type == "markdown"]
    assert old.data.startswith("> **SUPERSEDED**") and "— SUPERSEDED" in old.data, old.data[:300]
    assert old.description.startswith("superseded: ")
    (new,) = [a for a in run_artifacts(second.state_details.flow_run_id) if a.type == "markdown"]
    assert new.key == old.key and new.key.startswith("storm-crew-plan-severe-thunderstorm-warning-")
    assert "— ACTIVE" in new.data and "UTC (" in new.data and "County (48201)" in new.data
    (table,) = [a for a in run_artifacts(second.state_details.flow_run_id) if a.type == "table"]
    assert table.key == f"{new.key}-table" and "where (type, county, NWS zone" in str(table.data)
