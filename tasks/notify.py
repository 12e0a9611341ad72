"""Tasks of the failure notification: describe the failed run from the Prefect API, then deliver
the notice on every configured channel (log, notifications file, webhook)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from prefect import task

from gridflow.config import get_settings
from gridflow.notifications import (
    NOTIFICATIONS_FILE,
    FailureNotice,
    NotificationError,
    append_notice,
    flow_run_id_from,
    make_notice,
    post_notice,
)
from tasks.common import log, retry_on_transient


@task(name="describe-failed-run", retries=2, retry_delay_seconds=[2, 10], retry_condition_fn=retry_on_transient)
def describe_failed_run(flow_run_id: str, state_name: str) -> FailureNotice:
    """The run's deployment, name, failure message and UI link, read from the Prefect API.

    The message is the one of the state the event reported: by the time this runs an operator may
    already have retried the run.
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


@task(name="record-notice")
def record_notice(notice: FailureNotice) -> str:
    """Log the notice and append it to the notifications file; returns where it was written."""
    settings = get_settings()
    log().warning(notice.text)
    if not settings.notify.write_file:
        return "log"
    path = settings.home / NOTIFICATIONS_FILE
    append_notice(path, notice)
    return str(path)


def _webhook_retryable(task: Any, task_run: Any, state: Any) -> bool:
    """Retry a webhook that was unreachable or answered 5xx; a 4xx will not improve."""
    try:
        state.result(raise_on_failure=True)
    except NotificationError as exc:
        return exc.transient
    except BaseException:
        return False
    return False


@task(name="post-notice-webhook", retries=3, retry_delay_seconds=[2, 10, 30], retry_condition_fn=_webhook_retryable)
def post_notice_webhook(notice: FailureNotice) -> int | None:
    """POST the notice to the configured webhook; None when no webhook is configured."""
    config = get_settings().notify
    if not config.webhook_url:
        return None
    status = post_notice(config.webhook_url, notice, timeout=config.timeout_seconds)
    log().info(f"webhook answered HTTP {status}")
    return status
