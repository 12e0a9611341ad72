"""`gridflow deploy` without a server: what should exist against what exists."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from uuid import UUID, uuid4

import pytest
from prefect.client.schemas.actions import DeploymentScheduleCreate
from prefect.client.schemas.objects import WorkQueue as ApiWorkQueue
from prefect.client.schemas.responses import DeploymentResponse
from prefect.client.schemas.schedules import CronSchedule, IntervalSchedule
from prefect.events.actions import RunDeployment
from prefect.events.schemas.automations import Automation, AutomationCore, EventTrigger

from deployments.definitions import all_deployments
from gridflow.errors import ConfigError
from gridflow.provenance import PROJECT_ROOT
from gridflow.services.deploy import (
    MANAGED_TAG,
    Change,
    DeployReport,
    WorkQueue,
    automation_content,
    desired_deployment_spec,
    existing_deployment_spec,
    managed,
    plan_automations,
    plan_work_queues,
    project_entrypoint,
    registration_copy,
    spec_differences,
    trigger_automations,
    unique_names,
)

DEPLOYMENTS = {f"{d.flow_name}/{d.name}": d for d in all_deployments()}


def register(name: str, queue: str = "default"):
    return registration_copy(DEPLOYMENTS[name], pool="gridflow-process", queue=queue, project_root=PROJECT_ROOT)


def as_the_api_returns_it(registration, **changes) -> DeploymentResponse:
    """The deployment as Prefect's API answers after registering `registration` (shape copied
    from a real server's response)."""
    deployment_id = uuid4()
    spec = desired_deployment_spec(registration)
    limit = spec["concurrency_limit"]
    data = {
        "id": str(deployment_id), "name": registration.name, "flow_id": str(uuid4()),
        "version": registration.version, "description": registration.description,
        "paused": False, "parameters": spec["parameters"], "tags": list(registration.tags),
        "pull_steps": spec["pull_steps"], "entrypoint": registration.entrypoint, "path": None,
        "work_pool_name": "gridflow-process", "work_queue_name": registration.work_queue_name,
        "enforce_parameter_schema": True, "parameter_openapi_schema": spec["parameter_openapi_schema"],
        "job_variables": {}, "concurrency_limit": None,
        "global_concurrency_limit": None if limit is None else {
            "id": str(uuid4()), "name": f"deployment:{deployment_id}", "limit": limit, "active": True,
            "active_slots": 0, "slot_decay_per_second": 0.0},
        "concurrency_options": None if spec["collision_strategy"] is None else {
            "collision_strategy": spec["collision_strategy"], "grace_period_seconds": None},
        "schedules": [
            {"id": str(uuid4()), "deployment_id": str(deployment_id), "active": s.active,
             "schedule": {**s.schedule.model_dump(mode="json"),
                          # The server stores the anchor the client sent, which drifts with time.
                          **({"anchor_date": "2020-01-01T00:00:00Z"} if hasattr(s.schedule, "interval") else {})},
             "parameters": s.parameters, "max_scheduled_runs": None, "slug": None}
            for s in registration.schedules],
    }
    data.update(changes)
    return DeploymentResponse.model_validate(data)


# --- registration ---------------------------------------------------------------------------


def test_entrypoint_is_relative_to_the_project_whatever_the_cwd(tmp_path):
    inside = "flows/retrain.py:retrain"
    assert project_entrypoint(inside, PROJECT_ROOT, PROJECT_ROOT) == inside
    from_elsewhere = f"{Path('..') / '..' / PROJECT_ROOT.relative_to('/')}/flows/retrain.py:retrain"
    assert project_entrypoint(from_elsewhere, PROJECT_ROOT, Path("/tmp/a")) == inside
    assert project_entrypoint("flows.retrain.retrain", PROJECT_ROOT, tmp_path) == "flows.retrain.retrain"
    with pytest.raises(ConfigError, match="outside the project"):
        project_entrypoint("x.py:f", PROJECT_ROOT, tmp_path)


def test_registration_enters_the_project_and_leaves_triggers_to_deploy():
    original = DEPLOYMENTS["retrain/load-forecast"]
    registration = register("retrain/load-forecast", queue="training")
    spec = desired_deployment_spec(registration)
    assert spec["pull_steps"] == [
        {"prefect.deployments.steps.set_working_directory": {"directory": str(PROJECT_ROOT)}}]
    assert spec["entrypoint"] == "flows/retrain.py:retrain"
    assert (spec["work_pool_name"], spec["work_queue_name"]) == ("gridflow-process", "training")
    assert (spec["concurrency_limit"], spec["collision_strategy"]) == (1, "ENQUEUE")
    assert registration.triggers == [] and len(original.triggers) == 1  # the definition is untouched


# --- deployments: desired vs existing --------------------------------------------------------


@pytest.mark.parametrize("name", sorted(DEPLOYMENTS))
def test_a_registered_deployment_reads_back_unchanged(name):
    registration = register(name)
    assert spec_differences(desired_deployment_spec(registration),
                            existing_deployment_spec(as_the_api_returns_it(registration))) == []


def test_changes_are_named():
    registration = register("retrain/load-forecast", queue="training")
    existing = as_the_api_returns_it(registration, parameters={"model": "load_forecast", "trigger": "old"},
                                     work_queue_name="default", global_concurrency_limit=None)
    assert spec_differences(desired_deployment_spec(registration), existing_deployment_spec(existing)) == [
        "concurrency_limit", "parameters", "work_queue_name"]


def test_a_served_deployment_is_taken_over():
    # `gridflow serve` registers the same names without pool, queue or pull step.
    registration = register("monitor-drift/load-forecast")
    served = as_the_api_returns_it(registration, work_pool_name=None, work_queue_name=None, pull_steps=None,
                                   entrypoint="flows/monitor_drift.py:monitor_drift", path=".")
    assert spec_differences(desired_deployment_spec(registration), existing_deployment_spec(served)) == [
        "pull_steps", "work_pool_name", "work_queue_name"]


def test_schedule_changes_count_but_an_interval_anchor_does_not():
    meters = register("ingest-smart-meter/meter-dropbox")
    assert spec_differences(desired_deployment_spec(meters), existing_deployment_spec(as_the_api_returns_it(meters))) == []
    faster = meters.model_copy(update={"schedules": [
        DeploymentScheduleCreate(schedule=IntervalSchedule(interval=timedelta(minutes=5)))]})
    assert spec_differences(desired_deployment_spec(faster),
                            existing_deployment_spec(as_the_api_returns_it(meters))) == ["schedules"]
    hourly = register("ingest-ercot/dam-spp")
    other_zone = hourly.model_copy(update={"schedules": [
        DeploymentScheduleCreate(schedule=CronSchedule(cron="15 * * * *", timezone="UTC"))]})
    assert spec_differences(desired_deployment_spec(other_zone),
                            existing_deployment_spec(as_the_api_returns_it(hourly))) == ["schedules"]


# --- work queues ------------------------------------------------------------------------------


def api_queue(name: str, priority: int, limit: int | None, description: str = "") -> ApiWorkQueue:
    return ApiWorkQueue(id=uuid4(), name=name, priority=priority, concurrency_limit=limit,
                        description=description, work_pool_name="gridflow-process", work_pool_id=uuid4())


def test_queues_are_created_updated_or_left_alone():
    storm = WorkQueue("storm", 1, None, "storm first")
    default = WorkQueue("default", 2, None, "the rest")
    training = WorkQueue("training", 3, 1, "one at a time")
    existing = [api_queue("default", 1, None), api_queue("training", 3, 1, "one at a time"),
                api_queue("someone-elses", 4, None)]
    changes = plan_work_queues([training, default, storm], existing)
    assert [(c.action, c.name) for c in changes] == [
        ("create", "storm"), ("update", "default"), ("unchanged", "training")]


# --- automations ------------------------------------------------------------------------------


def automation(name: str, deployment_id: UUID, *, event: str = "x.happened", tags=(MANAGED_TAG,)) -> Automation:
    """An automation as read from the server."""
    return Automation(id=uuid4(), name=name, tags=list(tags),
                      trigger=EventTrigger(expect={event}, match={"prefect.resource.id": "x.*"}),
                      actions=[RunDeployment(source="selected", deployment_id=deployment_id, parameters={"a": "1"})])


def desired(name: str, deployment_id: UUID, event: str = "x.happened") -> AutomationCore:
    return managed(AutomationCore(name=name, trigger=EventTrigger(expect={event}, match={"prefect.resource.id": "x.*"}),
                                  actions=[RunDeployment(source="selected", deployment_id=deployment_id,
                                                         parameters={"a": "1"})]))


def test_automation_plan_table():
    live, gone = uuid4(), uuid4()
    same = automation("same", live)
    changed = automation("changed", live, event="x.other")
    duplicate_a, duplicate_b = automation("twice", live), automation("twice", live, tags=())
    orphan = automation("served-trigger", gone, tags=())  # left by a deleted deployment
    renamed = automation("old-trigger-name", live)  # ours, no longer defined
    foreign = automation("made-in-the-ui", live, tags=())  # an operator's: not ours to delete
    plan = plan_automations(
        [desired("same", live), desired("changed", live), desired("twice", live), desired("new", live)],
        [same, changed, duplicate_b, duplicate_a, orphan, renamed, foreign],
        live_deployment_ids={live},
    )
    assert sorted(plan.unchanged) == ["same", "twice"]
    assert [(i, a.name) for i, a in plan.update] == [(changed.id, "changed")]
    assert [a.name for a in plan.create] == ["new"]
    assert sorted((str(i), n, why) for i, n, why in plan.delete) == sorted([
        (str(duplicate_b.id), "twice", "duplicate"),  # the identical, tagged one is kept
        (str(orphan.id), "served-trigger", "its deployment no longer exists"),
        (str(renamed.id), "old-trigger-name", "no longer defined"),
    ])
    assert {c.action for c in plan.changes()} == {"create", "update", "delete", "unchanged"}


def test_a_second_plan_over_the_result_changes_nothing():
    live = uuid4()
    wanted = [desired("a", live), desired("b", live, event="y")]
    after_first_run = [Automation(id=uuid4(), **a.model_dump()) for a in wanted]
    plan = plan_automations(wanted, after_first_run, {live})
    assert (plan.create, plan.update, plan.delete) == ([], [], [])
    assert sorted(plan.unchanged) == ["a", "b"]


def test_managed_automations_are_tagged_unowned_and_send_their_types():
    retrain = DEPLOYMENTS["retrain/load-forecast"]
    deployment_id = uuid4()
    (trigger_automation,) = trigger_automations(retrain, deployment_id)
    assert trigger_automation.name == "retrain-load-forecast-on-drift"
    assert MANAGED_TAG in trigger_automation.tags and trigger_automation.owner_resource is None
    # An update sends only the fields set: the trigger and action types must be among them, the
    # owner (which the update endpoint refuses) must not.
    sent = trigger_automation.model_dump(mode="json", exclude_unset=True)
    assert "owner_resource" not in sent
    assert sent["trigger"]["type"] == "event" and sent["actions"][0]["type"] == "run-deployment"
    assert sent["actions"][0]["deployment_id"] == str(deployment_id)
    assert retrain.triggers[0]._deployment_id is None  # the definition is not bound to an id
    # Ids of the trigger are not content: the same definition compares equal.
    assert automation_content(trigger_automation) == automation_content(trigger_automations(retrain, deployment_id)[0])


def test_two_automations_with_one_name_are_refused():
    live = uuid4()
    with pytest.raises(ConfigError, match="name each trigger uniquely"):
        unique_names([desired("same", live), desired("same", live)])


def test_report():
    report = DeployReport([Change("create", "deployment", "a/b"), Change("unchanged", "automation", "c")])
    assert report.changed and report.summary() == "1 created, 0 updated, 0 deleted, 1 unchanged"
    assert str(report.changes[0]).split() == ["create", "deployment", "a/b"]
    assert not DeployReport([Change("unchanged", "work pool", "p")]).changed


def test_set_like_trigger_fields_compare_in_any_order():
    live, other = uuid4(), uuid4()
    a = AutomationCore(name="n", trigger=EventTrigger(
        expect={"a.one", "a.two", "a.three"},
        match_related={"prefect.resource.role": "deployment",
                       "prefect.resource.id": [f"prefect.deployment.{live}", f"prefect.deployment.{other}"]}),
        actions=[RunDeployment(source="selected", deployment_id=live)])
    data = a.model_dump(mode="json")
    data["trigger"]["expect"] = sorted(data["trigger"]["expect"], reverse=True)
    data["trigger"]["match_related"]["prefect.resource.id"].reverse()
    assert automation_content(a) == automation_content(AutomationCore.model_validate(data))


def test_schedules_can_be_registered_switched_off():
    definition = DEPLOYMENTS["poll-weather-alerts/nws-active"]
    off = registration_copy(definition, pool="p", queue="storm", project_root=PROJECT_ROOT, schedules_active=False)
    on = registration_copy(definition, pool="p", queue="storm", project_root=PROJECT_ROOT)
    assert [s["active"] for s in desired_deployment_spec(off)["schedules"]] == [False]
    assert [s["active"] for s in desired_deployment_spec(on)["schedules"]] == [True]
    # Sent explicitly either way (an update sends only the fields set).
    assert all("active" in s.model_fields_set for s in [*off.schedules, *on.schedules])
    assert spec_differences(desired_deployment_spec(off), desired_deployment_spec(on)) == ["schedules"]
    assert all(s.active for s in definition.schedules)  # the definition is untouched
