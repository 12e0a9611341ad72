"""DAG: plan (zones, target day) -> per zone: issue + store (first write wins) -> publish table and
plot -> conclude. One zone failing does not stop the others; the run then fails naming them."""

from __future__ import annotations

from prefect import flow
from prefect.runtime import flow_run

from gridflow import run_names
from gridflow.issuing.issue import IssueRunResult
from tasks.forecast_issue import conclude_issue, issue_zone_forecast, plan_issue, publish_forecast


def _run_name() -> str:
    return run_names.issue_forecast_name(flow_run.parameters.get("zones"), flow_run.parameters.get("for_date"))


@flow(name="issue-load-forecast", flow_run_name=_run_name, log_prints=True)
def issue_load_forecast(zones: list[str] | None = None, for_date: str | None = None) -> IssueRunResult:
    """Issue the champion's day-ahead P10/P50/P90 for each zone (default: configured zones) for
    `for_date` (default: tomorrow in market time), as known at D-1 at the configured issue hour."""
    plan = plan_issue(zones, for_date)
    issued, failed = [], {}
    for zone in plan.zones:
        state = issue_zone_forecast(zone, plan.target_date, return_state=True)
        if not state.is_completed():
            error = state.result(raise_on_failure=False)
            failed[zone] = f"{type(error).__name__}: {error}" if isinstance(error, BaseException) else state.message
            continue
        issued.append(state.result())
        published = publish_forecast(issued[-1], return_state=True)
        if not published.is_completed():
            failed[zone] = f"issued and stored, but its artifacts failed: {published.message}"
    return conclude_issue(plan.target_date, issued, failed)
