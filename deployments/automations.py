"""Automations that `gridflow deploy` creates besides the deployments' own triggers.

Failure notification: when a run of one of our deployments ends Failed, Crashed or TimedOut, the
Prefect server runs the `notify-failure/operators` deployment with the run's id. That flow writes
the notification (log, `$GRIDFLOW_HOME/notifications.jsonl`, a webhook when
`GRIDFLOW_NOTIFY__WEBHOOK_URL` is set) with the run's UI link. Open-source Prefect has no webhook or
metric triggers, but reactive event triggers and the RunDeployment action run in its server.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from uuid import UUID

from prefect.events.actions import RunDeployment
from prefect.events.schemas.automations import AutomationCore, EventTrigger, Posture

FAILURE_AUTOMATION = "gridflow-notify-on-failure"
# TimedOut is a Failed-type state with its own name, and so its own event.
FAILURE_EVENTS = frozenset({"prefect.flow-run.Failed", "prefect.flow-run.Crashed", "prefect.flow-run.TimedOut"})


def failure_notification(watched_deployment_ids: Iterable[UUID], notify_deployment_id: UUID) -> AutomationCore:
    """Run the notification deployment for each failed, crashed or timed-out run of the watched
    deployments. The notification deployment itself is never watched (no loop on its own failure)."""
    watched = sorted(f"prefect.deployment.{i}" for i in watched_deployment_ids if i != notify_deployment_id)
    return AutomationCore(
        name=FAILURE_AUTOMATION,
        description="A gridflow run failed, crashed or timed out: notify operators with the run's link.",
        trigger=EventTrigger(
            expect=set(FAILURE_EVENTS),
            match={"prefect.resource.id": "prefect.flow-run.*"},
            match_related={"prefect.resource.role": "deployment", "prefect.resource.id": watched},
            posture=Posture.Reactive,
            threshold=1,
        ),
        actions=[
            RunDeployment(
                source="selected",
                deployment_id=notify_deployment_id,
                # The server fills these from the event (the run, with the state it reached); the flow reads
                # the rest from the API.
                parameters={
                    "flow_run_id": "{{ event.resource.id | replace('prefect.flow-run.', '') }}",
                    "state_name": "{{ event.resource['prefect.state-name'] }}",
                },
            )
        ],
    )


def failure_automations(deployment_ids: Mapping[str, UUID]) -> list[AutomationCore]:
    """The failure notification watching every registered deployment but the notifier itself;
    none on a partial deploy that lacks the notifier (tests, one deployment)."""
    from deployments.definitions import NOTIFY_DEPLOYMENT

    notify_id = deployment_ids.get(NOTIFY_DEPLOYMENT)
    if notify_id is None:
        return []
    return [failure_notification(deployment_ids.values(), notify_id)]
