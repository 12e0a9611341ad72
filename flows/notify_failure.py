"""DAG: a failed run's event -> describe the run -> record the notice (log, file) -> webhook.

Started by the `gridflow-notify-on-failure` automation that `gridflow deploy` creates, also for a run
whose process died and which the `gridflow-crash-on-missed-heartbeats` automation marked Crashed.
"""

from __future__ import annotations

from prefect import flow

from gridflow.notifications import FailureNotification
from tasks.notify import describe_failed_run, post_notice_webhook, record_notice


@flow(name="notify-failure", flow_run_name="notify-failure-{state_name}", log_prints=True)
def notify_failure(flow_run_id: str, state_name: str = "Failed") -> FailureNotification:
    """Tell operators that run `flow_run_id` ended in `state_name`, with its UI link."""
    notice = describe_failed_run(flow_run_id, state_name)
    recorded = record_notice(notice)
    # A repeated delivery of the same failure (Prefect's actions are at-least-once) is not sent on.
    status = post_notice_webhook(notice) if recorded.fresh else None
    return FailureNotification(notice, recorded.written_to, status)
