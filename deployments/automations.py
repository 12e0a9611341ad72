"""Automations that `gridflow deploy` creates besides the deployments' own triggers.

Crash detection: runs of gridflow's flows (on the worker, served, or started from the CLI) send a
heartbeat event every `GRIDFLOW_HEARTBEAT__SECONDS` (see gridflow.prefect_env). A run whose process
died (kill -9, reboot, out of memory) stops beating without reaching a final state;
`gridflow-crash-on-missed-heartbeats` then marks it Crashed in the server, so it no longer shows
Running for ever (Prefect's "zombie flow run" automation).

Failure notification: when a run of one of our deployments ends Failed, Crashed (by its own process
or by the crash detection) or TimedOut, the Prefect server runs the `notify-failure/operators`
deployment with the run's id. That flow writes the notification (log,
`$GRIDFLOW_HOME/notifications.jsonl`, a webhook when `GRIDFLOW_NOTIFY__WEBHOOK_URL` is set) with the
run's UI link. Open-source Prefect has no webhook or metric triggers, but reactive and proactive
event triggers and the RunDeployment and ChangeFlowRunState actions run in its server.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import timedelta
from uuid import UUID

from prefect.client.schemas.objects import StateType
from prefect.events.actions import ChangeFlowRunState, RunDeployment
from prefect.events.schemas.automations import AutomationCore, EventTrigger, Posture

from gridflow.prefect_env import heartbeat_config
from gridflow.run_outcomes import DRIFT_STATE_NAMES, KEPT, PROMOTED, REJECTED

FAILURE_AUTOMATION = "gridflow-notify-on-failure"
CRASH_AUTOMATION = "gridflow-crash-on-missed-heartbeats"
HEARTBEAT_EVENT = "prefect.flow-run.heartbeat"
# TimedOut is a Failed-type state with its own name, and so its own event.
FAILURE_EVENTS = frozenset({"prefect.flow-run.Failed", "prefect.flow-run.Crashed", "prefect.flow-run.TimedOut"})
# A run that ends stops beating: these close the heartbeat watch, including the Completed states named
# after what a retrain or drift check decided. (Were a final state missing here, the server would
# refuse to mark that run Crashed: it is already final.)
DECISION_STATES = (PROMOTED, KEPT, REJECTED, *DRIFT_STATE_NAMES.values())
ENDED_EVENTS = FAILURE_EVENTS | {f"prefect.flow-run.{name}" for name in ("Completed", "Cancelled", *DECISION_STATES)}


def _watched(deployment_ids: Iterable[UUID]) -> list[str]:
    return sorted(f"prefect.deployment.{i}" for i in deployment_ids)


def failure_notification(watched_deployment_ids: Iterable[UUID], notify_deployment_id: UUID) -> AutomationCore:
    """Run the notification deployment for each failed, crashed or timed-out run of the watched
    deployments. The notification deployment itself is never watched (no loop on its own failure)."""
    watched = _watched(i for i in watched_deployment_ids if i != notify_deployment_id)
    return AutomationCore(
        name=FAILURE_AUTOMATION,
        description=f"Reacts to {', '.join(sorted(FAILURE_EVENTS))} of a flow run (prefect.flow-run.*) "
                    "of any gridflow deployment but notify-failure/operators: runs notify-failure/operators "
                    "with the run's id, which tells operators with the run's link.",
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


def crash_on_missed_heartbeats(flow_names: Iterable[str], within: timedelta) -> AutomationCore:
    """Mark a run of these flows Crashed when, after a heartbeat, neither another heartbeat nor a
    final state arrives `within` (its process is gone). Watched by flow name, so a run started from
    the CLI is caught like one of a deployment; a deployment's Crashed event then starts the failure
    notification like any crash."""
    seconds = int(within.total_seconds())
    names = sorted(set(flow_names))
    return AutomationCore(
        name=CRASH_AUTOMATION,
        description=f"Proactive: after a {HEARTBEAT_EVENT} of a flow run (prefect.flow-run.*, one watch per run) "
                    f"of a gridflow flow ({', '.join(names)}), expects another heartbeat or a final state event "
                    f"within {seconds} s; when none comes the run's process is gone and the run is marked Crashed.",
        trigger=EventTrigger(
            after={HEARTBEAT_EVENT},
            expect={HEARTBEAT_EVENT, *ENDED_EVENTS},
            match={"prefect.resource.id": "prefect.flow-run.*"},
            match_related={"prefect.resource.role": "flow", "prefect.resource.name": names},
            for_each={"prefect.resource.id"},
            posture=Posture.Proactive,
            threshold=1,
            within=within,
        ),
        actions=[
            ChangeFlowRunState(
                state=StateType.CRASHED,
                message=f"No heartbeat for {seconds} s: the run's process died (killed, machine restarted or out "
                        "of memory). Marked Crashed by the gridflow-crash-on-missed-heartbeats automation; "
                        "retry the run to finish its work.",
            )
        ],
    )


def failure_automations(deployment_ids: Mapping[str, UUID], within: timedelta | None = None) -> list[AutomationCore]:
    """The automations that catch failed runs: crash detection on the flows of the registered
    deployments (`flow/name` keys; after `within`, by default the configured heartbeat's
    `crash_after`) and the failure notification watching every deployment but the notifier; no
    notification on a partial deploy that lacks the notifier (tests, one deployment)."""
    from deployments.definitions import NOTIFY_DEPLOYMENT

    if not deployment_ids:
        return []
    flows = {name.split("/")[0] for name in deployment_ids}
    automations = [crash_on_missed_heartbeats(flows, within or heartbeat_config().crash_after)]
    notify_id = deployment_ids.get(NOTIFY_DEPLOYMENT)
    if notify_id is not None:
        automations.append(failure_notification(deployment_ids.values(), notify_id))
    return automations
