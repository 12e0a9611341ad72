"""Every shipped deployment builds, with the schedule or trigger the operators rely on."""

from __future__ import annotations

from deployments.definitions import DRIFT_EVENT, all_deployments


def by_name():
    return {f"{d.flow_name}/{d.name}": d for d in all_deployments()}


def test_names_are_unique_and_expected():
    names = [f"{d.flow_name}/{d.name}" for d in all_deployments()]
    assert len(names) == len(set(names))
    assert set(names) == {
        "ingest-ercot/dam-spp", "ingest-ercot/actual-load", "ingest-pjm/hrl-load-metered-daily",
        "ingest-smart-meter/meter-dropbox", "ingest-pjm-load/pjm-load-file",
        "retrain/load-forecast", "monitor-drift/load-forecast",
    }


def test_schedules():
    deployments = by_name()
    cron = {name: [getattr(s.schedule, "cron", None) for s in d.schedules] for name, d in deployments.items()}
    assert cron["ingest-ercot/dam-spp"] == ["15 * * * *"]
    assert cron["ingest-pjm/hrl-load-metered-daily"] == ["30 6 * * *"]
    assert cron["monitor-drift/load-forecast"] == ["0 7 * * *"]
    assert cron["retrain/load-forecast"] == ["0 6 * * 1"]
    (meters,) = deployments["ingest-smart-meter/meter-dropbox"].schedules
    assert meters.schedule.interval.total_seconds() == 900


def test_drift_event_triggers_the_retrain_with_its_reason():
    retrain = by_name()["retrain/load-forecast"]
    (trigger,) = retrain.triggers
    assert trigger.expect == {DRIFT_EVENT}
    assert trigger.match.model_dump()["prefect.resource.id"] == "gridflow.model.load_forecast"
    assert trigger.parameters == {"model": "{{ event.payload.model }}", "trigger": "drift: {{ event.payload.reason }}"}
