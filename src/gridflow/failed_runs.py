"""A failed flow run as the Prefect API describes it, turned into an operator's `FailureNotice`."""

from __future__ import annotations

from uuid import UUID

from gridflow.notifications import FailureNotice, flow_run_id_from, make_notice


def describe_failed_run(flow_run_id: str, state_name: str) -> FailureNotice:
    """The run's deployment, name, failure message and UI link, read from the Prefect API.

    The message is the one of the state the event reported: by the time this runs an operator may
    already have retried the run. `flow_run_id` may be the event's resource id.
    """
    from prefect.client.orchestration import get_client
    from prefect.utilities.urls import url_for

    run_id = UUID(flow_run_id_from(flow_run_id))
    with get_client(sync_client=True) as client:
        run = client.read_flow_run(run_id)
        flow = client.read_flow(run.flow_id)
        deployment = client.read_deployment(run.deployment_id) if run.deployment_id else None
        states = client.read_flow_run_states(run_id)
    failed = [s for s in states if s.name == state_name] or [run.state]
    state = failed[-1]
    return make_notice(
        flow_run_id=str(run_id),
        flow_run_name=run.name,
        deployment=f"{flow.name}/{deployment.name}" if deployment else flow.name,
        state=state_name or (state.name if state else "Failed"),
        message=state.message if state else None,
        url=url_for("flow-run", obj_id=run_id) or str(run_id),
        occurred_at=(state.timestamp.isoformat() if state and state.timestamp else ""),
    )
