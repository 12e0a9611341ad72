"""The monitor's cool-down inputs: the last retrain trigger, a retrain under way, the champion's age;
and the retrain run a drift event caused."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy.engine import Engine

from gridflow.monitoring.types import Champion
from gridflow.warehouse import drift_checks

# Scheduled runs further out than this are the cron's future runs, not a retrain under way.
_SCHEDULED_SOON = timedelta(minutes=10)
# The automation's run shows up within seconds (about 5 s on an idle test server, past 30 s on a loaded
# one); the wait ends as soon as it does. Past this the check's artifact says the run was not found
# yet, and the event page still leads to it.
CAUSED_RUN_WAIT_SECONDS = 120.0
AUTOMATION_EXECUTED = "prefect.automation.action.executed"
FLOW_RUN_PREFIX = "prefect.flow-run."


def gather_history(engine: Engine, model: str, champion: Champion) -> dict[str, Any]:
    """Cool-down inputs: last trigger, a retrain of this model under way, the champion's age."""
    now = datetime.now(UTC)
    with engine.connect() as conn:
        last = drift_checks.last_trigger_at(conn, model)
    age = None if champion.created_at_ms is None else (now.timestamp() * 1000 - champion.created_at_ms) / 86_400_000
    return {
        "last_trigger_at": None if last is None else last.isoformat(),
        "hours_since_last_trigger": None if last is None else (now - last).total_seconds() / 3600,
        "retrain_running": retrain_under_way(model, now),
        "champion_age_days": age,
    }


def retrain_under_way(model: str, now: datetime) -> bool:
    """Whether a `retrain` run for `model` is running, pending or scheduled to start now."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        FlowFilter,
        FlowFilterName,
        FlowRunFilter,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType

    active = [StateType.RUNNING, StateType.PENDING, StateType.SCHEDULED]
    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(
            flow_filter=FlowFilter(name=FlowFilterName(any_=["retrain"])),
            flow_run_filter=FlowRunFilter(state=FlowRunFilterState(type=FlowRunFilterStateType(any_=active))),
            limit=200,
        )
    for run in runs:
        if (run.parameters or {}).get("model", "load_forecast") != model:
            continue
        if run.state_type == StateType.SCHEDULED and run.expected_start_time is not None \
                and run.expected_start_time > now + _SCHEDULED_SOON:
            continue
        return True
    return False


@dataclass(frozen=True)
class CausedRun:
    """The run an automation started in answer to an event, with UI links and the run's parameters
    (the run is created with a random name and names itself from them when it starts)."""

    event_url: str | None
    flow_run_id: str
    flow_run_url: str | None
    parameters: dict[str, Any] = field(default_factory=dict)


def caused_run(event_id: str, event_name: str, wait_seconds: float = CAUSED_RUN_WAIT_SECONDS,
               poll_seconds: float = 1.0) -> CausedRun | None:
    """The flow run an automation started for event `event_id` (from the automation's
    `prefect.automation.action.executed` event, which relates both), waiting up to `wait_seconds`
    for it to act; None at once when no enabled automation expects `event_name`, or when no run
    appeared in time."""
    from prefect.client.orchestration import get_client
    from prefect.events.filters import EventFilter, EventIDFilter, EventNameFilter, EventRelatedFilter
    from prefect.utilities.urls import url_for

    deadline = time.monotonic() + wait_seconds
    cause = f"prefect.event.{event_id}"
    with get_client(sync_client=True) as client:
        if not any(automation.enabled and event_name in expected_events(automation.trigger)
                   for automation in client.read_automations()):
            return None
        while True:
            # A fresh filter each time: its time window ends when it is built.
            wanted = EventFilter(event=EventNameFilter(name=[AUTOMATION_EXECUTED]),
                                 related=EventRelatedFilter(resources_in_roles=[(cause, "triggering-event")]))
            for executed in client.read_events(filter=wanted, limit=10).events:
                run_id = started_run(executed.related)
                if run_id is not None:
                    source = client.read_events(filter=EventFilter(id=EventIDFilter(id=[UUID(event_id)])),
                                                limit=1).events
                    return CausedRun(url_for(source[0]) if source else None, run_id,
                                     url_for("flow-run", obj_id=run_id),
                                     dict(client.read_flow_run(UUID(run_id)).parameters or {}))
            if time.monotonic() >= deadline:
                return None
            time.sleep(poll_seconds)


def started_run(related: Iterable[Mapping[str, str]]) -> str | None:
    """The id of the flow run among an automation event's related resources, if it has one."""
    for resource in related:
        rid = resource.get("prefect.resource.id", "")
        if resource.get("prefect.resource.role") == "flow-run" and rid.startswith(FLOW_RUN_PREFIX):
            return rid.removeprefix(FLOW_RUN_PREFIX)
    return None


def expected_events(trigger: Any) -> set[str]:
    """Every event name an automation's trigger (event or compound/sequence) expects."""
    names = set(getattr(trigger, "expect", None) or ())
    for inner in getattr(trigger, "triggers", None) or ():
        names |= expected_events(inner)
    return names
