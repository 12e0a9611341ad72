"""Every shipped deployment builds, with the schedule, trigger, queue and concurrency limit the
operators rely on; the failure notification and crash detection watch the right runs, and every
automation says what it reacts to."""

from __future__ import annotations

from uuid import uuid4

from deployments.automations import (
    CRASH_AUTOMATION,
    FAILURE_AUTOMATION,
    FAILURE_EVENTS,
    HEARTBEAT_EVENT,
    crash_on_missed_heartbeats,
    failure_notification,
)
from deployments.definitions import (
    DEFAULT_QUEUE,
    NOTIFY_DEPLOYMENT,
    STORM_QUEUE,
    TRAINING_QUEUE,
    WORK_QUEUES,
    all_deployments,
    work_queue_for,
)
from gridflow import events

DEPLOYMENTS = all_deployments()


def by_name():
    return {f"{d.flow_name}/{d.name}": d for d in DEPLOYMENTS}


def test_names_are_unique_and_expected():
    names = [f"{d.flow_name}/{d.name}" for d in DEPLOYMENTS]
    assert len(names) == len(set(names))
    assert set(names) == {
        "ingest-ercot/dam-spp", "ingest-ercot/actual-load", "ingest-pjm/hrl-load-metered-daily",
        "ingest-smart-meter/meter-dropbox", "ingest-pjm-load/pjm-load-file",
        "ingest-weather/nws-sites", "ingest-weather-history/ghcn-file",
        "ingest-transformer-readings/transformer-file",
        "retrain/load-forecast", "retrain/load-forecast-noweather", "retrain/outage-risk",
        "retrain/transformer-health",
        "monitor-drift/load-forecast", "monitor-drift/transformer-health",
        "issue-load-forecast/day-ahead",
        "poll-weather-alerts/nws-active", "storm-response/on-alert", NOTIFY_DEPLOYMENT,
        "plan-inspection/on-degraded",
        "ab-report/transformer-health",
        "retrain-fleet/load-forecast", "retrain/load-forecast-zone",
        "ingest-plant-hourly/plant-file", "retrain/plant-output",
        "ingest-ercot/dam-hub-prices-yearly", "ingest-pjm-prices/pjm-da-file",
        "retrain/price-forecast", "monitor-drift/price-forecast",
        "retrain/meter-forecast", "monitor-drift/meter-forecast",
    }


def test_schedules():
    deployments = by_name()
    cron = {name: [getattr(s.schedule, "cron", None) for s in d.schedules] for name, d in deployments.items()}
    assert cron["ingest-ercot/dam-spp"] == ["15 * * * *"]
    assert cron["ingest-pjm/hrl-load-metered-daily"] == ["30 6 * * *"]
    assert cron["monitor-drift/load-forecast"] == ["0 7 * * *"]
    assert cron["retrain/load-forecast"] == ["0 6 * * 1"]
    assert cron["retrain/load-forecast-noweather"] == ["30 6 * * 1"]
    assert cron["retrain/transformer-health"] == ["0 4 1 * *"]
    assert cron["monitor-drift/transformer-health"] == ["0 5 * * 1"]
    assert by_name()["monitor-drift/transformer-health"].parameters == {
        "model": "transformer_health", "window_days": 90}
    assert cron["issue-load-forecast/day-ahead"] == ["30 9 * * *"]
    assert cron["ingest-ercot/dam-hub-prices-yearly"] == ["45 6 * * 1"]
    assert cron["retrain/price-forecast"] == ["0 2 * * 1"]
    assert cron["monitor-drift/price-forecast"] == ["0 15 * * *"]
    assert cron["retrain/meter-forecast"] == ["0 3 * * 2"]
    assert cron["monitor-drift/meter-forecast"] == ["0 8 * * 1"]
    (meter_retrain,) = deployments["retrain/meter-forecast"].schedules
    assert meter_retrain.schedule.timezone == "Australia/Sydney"  # the households' own clock
    (issue,) = deployments["issue-load-forecast/day-ahead"].schedules
    assert issue.schedule.timezone == "America/New_York"  # the market's clock, DST included
    (meters,) = deployments["ingest-smart-meter/meter-dropbox"].schedules
    assert meters.schedule.interval.total_seconds() == 900
    (alerts,) = deployments["poll-weather-alerts/nws-active"].schedules
    assert alerts.schedule.interval.total_seconds() == 120
    (weather,) = deployments["ingest-weather/nws-sites"].schedules
    assert weather.schedule.cron == "15 */3 * * *" and weather.schedule.timezone == "UTC"
    assert deployments["ingest-weather-history/ghcn-file"].schedules == []


def test_drift_event_triggers_the_retrain_with_its_reason():
    retrain = by_name()["retrain/load-forecast"]
    (trigger,) = retrain.triggers
    assert trigger.expect == {events.DRIFT_DETECTED}
    assert trigger.match.model_dump()["prefect.resource.id"] == "gridflow.model.load_forecast"
    assert trigger.parameters == {"model": "{{ event.payload.model }}", "trigger": "drift: {{ event.payload.reason }}"}


def test_the_price_and_consumption_forecasts_retrain_on_their_own_drift():
    for name, model in (("retrain/price-forecast", "price_forecast"), ("retrain/meter-forecast", "meter_forecast")):
        (trigger,) = by_name()[name].triggers
        assert trigger.expect == {events.DRIFT_DETECTED}
        assert trigger.match.model_dump()["prefect.resource.id"] == f"gridflow.model.{model}"
        assert by_name()[name].parameters["model"] == model


def test_a_degraded_transformer_triggers_the_inspection_plan():
    planner = by_name()["plan-inspection/on-degraded"]
    (trigger,) = planner.triggers
    assert trigger.expect == {events.ASSET_HEALTH_DEGRADED}
    assert trigger.match.model_dump()["prefect.resource.id"] == "gridflow.asset.*"
    assert trigger.parameters == {"asset_resource": "{{ event.resource.id }}"}
    assert planner.concurrency_limit == 1


def test_the_ab_report_applies_through_the_gate_on_a_schedule_that_starts_off():
    report = by_name()["ab-report/transformer-health"]
    assert report.parameters == {"model": "transformer_health", "apply": True}
    (schedule,) = report.schedules
    assert schedule.schedule.cron == "30 5 * * *" and schedule.active is False
    assert work_queue_for(report) == DEFAULT_QUEUE.name  # never waits behind a retrain


def test_trigger_names_are_unique():
    # `gridflow deploy` tells automations apart by name.
    names = [t.name for d in DEPLOYMENTS for t in d.triggers]
    assert len(names) == len(set(names)) and all(names)


def test_queues_storm_first_and_retraining_limited():
    assert [q.name for q in sorted(WORK_QUEUES, key=lambda q: q.priority)] == ["storm", "default", "training"]
    assert len({q.priority for q in WORK_QUEUES}) == len(WORK_QUEUES)
    assert STORM_QUEUE.concurrency_limit is None
    assert TRAINING_QUEUE.concurrency_limit == 1
    queues = {name: work_queue_for(d) for name, d in by_name().items()}
    assert {n for n, q in queues.items() if q == STORM_QUEUE.name} == {
        "poll-weather-alerts/nws-active", "storm-response/on-alert"}
    assert {n for n, q in queues.items() if q == TRAINING_QUEUE.name} == {
        "retrain/load-forecast", "retrain/load-forecast-noweather", "retrain/outage-risk",
        "retrain/transformer-health", "retrain-fleet/load-forecast", "retrain/load-forecast-zone",
        "retrain/plant-output", "retrain/price-forecast", "retrain/meter-forecast"}
    assert queues[NOTIFY_DEPLOYMENT] == DEFAULT_QUEUE.name


def test_a_model_per_zone_moves_the_schedules_to_the_fleet_and_monitors_each_zone(monkeypatch):
    from gridflow.config import reset_settings

    assert [s.active for s in by_name()["retrain-fleet/load-forecast"].schedules] == [False]  # off by default
    monkeypatch.setenv("GRIDFLOW_LOAD_FORECAST__MODEL_PER_ZONE", "true")
    monkeypatch.setenv("GRIDFLOW_LOAD_FORECAST__ZONES", '["PJME", "DOM"]')
    reset_settings()
    try:
        per_zone = {f"{d.flow_name}/{d.name}": d for d in all_deployments()}
    finally:
        monkeypatch.undo()
        reset_settings()
    (fleet,) = per_zone["retrain-fleet/load-forecast"].schedules
    assert fleet.schedule.cron == "0 6 * * 1" and fleet.active is True
    assert [s.active for s in per_zone["retrain/load-forecast"].schedules] == [False]
    assert [s.active for s in per_zone["monitor-drift/load-forecast"].schedules] == [False]
    for zone in ("PJME", "DOM"):
        monitor = per_zone[f"monitor-drift/load-forecast-{zone.lower()}"]
        assert monitor.parameters == {"model": f"load_forecast.{zone}", "window_days": 14}
        assert [s.active for s in monitor.schedules] == [True]
    # Drift in one zone retrains that zone alone (the model named in the event).
    (trigger,) = per_zone["retrain/load-forecast-zone"].triggers
    assert trigger.match.model_dump()["prefect.resource.id"] == "gridflow.model.load_forecast.*"
    assert trigger.parameters["model"] == "{{ event.payload.model }}"


def test_one_retrain_per_model_at_a_time():
    for name, deployment in by_name().items():
        if name.startswith(("retrain/", "retrain-fleet/")):
            assert deployment.concurrency_limit == 1, name
            assert deployment.concurrency_options.collision_strategy == "ENQUEUE", name


def test_failure_notification_watches_every_deployment_but_the_notifier():
    watched = [uuid4() for _ in range(3)]
    notifier = uuid4()
    automation = failure_notification([*watched, notifier], notifier)
    assert automation.name == FAILURE_AUTOMATION
    assert set(automation.trigger.expect) == FAILURE_EVENTS
    (related,) = automation.trigger.match_related if isinstance(automation.trigger.match_related, list) \
        else [automation.trigger.match_related]
    ids = related.model_dump()["prefect.resource.id"]
    assert sorted(ids) == sorted(f"prefect.deployment.{i}" for i in watched)
    assert related.model_dump()["prefect.resource.role"] == "deployment"
    (action,) = automation.actions
    assert action.type == "run-deployment" and action.deployment_id == notifier
    assert set(action.parameters) == {"flow_run_id", "state_name"}


def every_automation():
    """Every automation `gridflow deploy` registers: the deployments' triggers and the failure ones."""
    from deployments.automations import failure_automations
    from gridflow.services.deploy import trigger_automations

    ids = {f"{d.flow_name}/{d.name}": uuid4() for d in DEPLOYMENTS}
    return [*(a for d in DEPLOYMENTS for a in trigger_automations(d, ids[f"{d.flow_name}/{d.name}"])),
            *failure_automations(ids)]


def test_every_automation_says_which_event_of_which_resource_it_reacts_to():
    automations = every_automation()
    assert {a.name for a in automations} >= {
        "retrain-load-forecast-on-drift", "storm-response-on-alert", "plan-inspection-on-degraded",
        FAILURE_AUTOMATION, CRASH_AUTOMATION}
    for automation in automations:
        trigger = automation.trigger
        assert automation.description, automation.name
        assert any(event in automation.description for event in trigger.expect | trigger.after), automation.name
        (resource,) = [trigger.match.model_dump()["prefect.resource.id"]]
        assert resource in automation.description, (automation.name, resource)


def test_a_run_whose_heartbeats_stop_is_marked_crashed():
    from datetime import timedelta

    automation = crash_on_missed_heartbeats(["retrain", "ingest-pjm-load", "retrain"], timedelta(seconds=90))
    trigger = automation.trigger
    assert automation.name == CRASH_AUTOMATION
    assert trigger.posture == "Proactive" and trigger.threshold == 1 and trigger.within == timedelta(seconds=90)
    assert trigger.after == {HEARTBEAT_EVENT}
    # Another beat or any final state closes the watch (also the named decisions); one watch per flow run.
    assert trigger.expect == {HEARTBEAT_EVENT} | FAILURE_EVENTS | {
        f"prefect.flow-run.{name}" for name in ("Completed", "Cancelled", "Promoted", "Kept", "Rejected", "Retrain",
                                                 "Warn", "OK")}
    assert trigger.for_each == {"prefect.resource.id"}
    assert trigger.match.model_dump()["prefect.resource.id"] == "prefect.flow-run.*"
    # Runs of gridflow's flows by name: from a deployment or from the CLI alike.
    assert trigger.match_related.model_dump() == {
        "prefect.resource.role": "flow", "prefect.resource.name": ["ingest-pjm-load", "retrain"]}
    (action,) = automation.actions
    assert action.type == "change-flow-run-state" and action.state == "CRASHED"
    assert "No heartbeat for 90 s" in action.message
    # Its Crashed event is one the failure notification reacts to.
    assert "prefect.flow-run.Crashed" in FAILURE_EVENTS


def test_deploy_registers_crash_detection_with_the_configured_heartbeat(monkeypatch):
    from datetime import timedelta

    from deployments.automations import failure_automations
    from gridflow.config import reset_settings

    notifier, other = uuid4(), uuid4()
    monkeypatch.setenv("GRIDFLOW_HEARTBEAT__SECONDS", "45")
    monkeypatch.setenv("GRIDFLOW_HEARTBEAT__MISSED", "4")
    reset_settings()
    try:
        crash, notify = failure_automations({NOTIFY_DEPLOYMENT: notifier, "ingest-pjm-load/pjm-load-file": other})
        (partial,) = failure_automations({"ingest-pjm-load/pjm-load-file": other})
    finally:
        monkeypatch.undo()
        reset_settings()
    assert crash.name == CRASH_AUTOMATION and crash.trigger.within == timedelta(seconds=180)
    assert notify.name == FAILURE_AUTOMATION
    # The notifier's own runs are watched for crashes too (they just notify nobody).
    assert crash.trigger.match_related.model_dump()["prefect.resource.name"] == ["ingest-pjm-load", "notify-failure"]
    assert partial.name == CRASH_AUTOMATION  # no notifier deployed: crash detection alone
    assert failure_automations({}) == []
