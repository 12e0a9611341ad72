"""Which run an automation started, read from its `action.executed` event's related resources."""

from __future__ import annotations

from prefect.events.schemas.automations import CompoundTrigger, EventTrigger, Posture
from prefect.events.schemas.events import RelatedResource

from gridflow import events
from gridflow.monitoring.history import expected_events, started_run


def related(resource_id: str, role: str, name: str | None = None) -> RelatedResource:
    labels = {"prefect.resource.id": resource_id, "prefect.resource.role": role}
    return RelatedResource.model_validate(labels | ({"prefect.resource.name": name} if name else {}))


def test_the_flow_run_among_an_executed_actions_related_resources():
    # As Prefect 3's RunDeployment action relates them (prefect/server/events/actions.py).
    executed = [related("prefect.flow-run.8f0c", "flow-run", "retrain-load_forecast-drift"),
                related("prefect.event.0192", "triggering-event")]
    assert started_run(executed) == "8f0c"
    assert started_run([related("prefect.event.0192", "triggering-event")]) is None


def test_expected_events_of_plain_and_compound_triggers():
    drift = EventTrigger(expect={events.DRIFT_DETECTED}, posture=Posture.Reactive, threshold=1)
    other = EventTrigger(expect={"gridflow.weather.alert.issued"}, posture=Posture.Reactive, threshold=1)
    assert expected_events(drift) == {events.DRIFT_DETECTED}
    both = CompoundTrigger(triggers=[drift, other], require="any")
    assert expected_events(both) == {events.DRIFT_DETECTED, "gridflow.weather.alert.issued"}
