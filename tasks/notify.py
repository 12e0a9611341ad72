"""Tasks of the failure notification: describe the failed run from the Prefect API, then deliver
the notice on every configured channel (log, notifications file, webhook).

The steps are gridflow.failed_runs and gridflow.notifications; these wrappers decide retries.
"""

from __future__ import annotations

from typing import Any

from prefect import task

from gridflow import failed_runs, notifications
from gridflow.notifications import FailureNotice, NotificationError, RecordedNotice
from tasks.common import retry_on_transient


@task(name="describe-failed-run", retries=2, retry_delay_seconds=[2, 10], retry_condition_fn=retry_on_transient)
def describe_failed_run(flow_run_id: str, state_name: str) -> FailureNotice:
    """The run's deployment, name, failure message (of `state_name`) and UI link, from the Prefect API."""
    return failed_runs.describe_failed_run(flow_run_id, state_name)


@task(name="record-notice")
def record_notice(notice: FailureNotice) -> RecordedNotice:
    """Log the notice and append it to the notifications file unless it is there; says where and if new."""
    return notifications.record_notice(notice)


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
    return notifications.post_to_webhook(notice)
