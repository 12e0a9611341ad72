"""`gridflow forecast ...`: issue the day-ahead load forecast and show what was issued.

Heavy libraries are imported inside commands so `gridflow --help` stays fast.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Annotated, Any

import typer

from gridflow_cli.shell import bootstrap, fail

forecast_app = typer.Typer(no_args_is_help=True, help="The day-ahead load forecast issued every morning.")

DEMO_HEAD_HOURS = 6


def run_issue(zones: list[str] | None, for_date: str | None) -> Any:
    """Run the `issue-load-forecast` flow in this process; returns its result or raises its error."""
    from flows.issue_load_forecast import issue_load_forecast

    state = issue_load_forecast(zones=zones, for_date=for_date, return_state=True)
    if not state.is_completed():
        error = state.result(raise_on_failure=False)
        raise error if isinstance(error, Exception) else RuntimeError(state.message or "issue run failed")
    return state.result()


@forecast_app.command("issue")
def issue(
    zone: Annotated[list[str] | None, typer.Option("--zone", help="zone(s); repeat (default: configured)")] = None,
    for_: Annotated[str | None, typer.Option("--for", help="target local day YYYY-MM-DD (default: tomorrow)")] = None,
) -> None:
    """Issue the champion's next-day P10/P50/P90 per zone (stored once per issue time and version)."""
    from gridflow.errors import GridflowError

    bootstrap()
    try:
        result = run_issue(zone, for_)
    except (GridflowError, ValueError) as exc:
        fail(exc)
    typer.echo(result.describe())


def read_forecast(zone: str, target_date: date) -> list[dict[str, Any]]:
    """The latest issued forecast of `zone` for `target_date` as table rows, actuals where landed."""
    from gridflow.issuing import report
    from gridflow.runtime import warehouse
    from gridflow.warehouse.forecast_issued import read_issued_with_actuals

    with warehouse().connect() as conn:
        frame = read_issued_with_actuals(conn, zone=zone, target_date=target_date)
    return report.table_rows(report.latest_issue(frame))


@forecast_app.command("show")
def show(
    zone: Annotated[str, typer.Argument(help="zone, e.g. PJME")],
    target_date: Annotated[str, typer.Argument(metavar="DATE", help="target local day YYYY-MM-DD")],
    as_json: Annotated[bool, typer.Option("--json", help="rows as JSON")] = False,
) -> None:
    """Print the issued forecast of ZONE for DATE: local hour, DST, P10/P50/P90, actual, model, vintage."""
    from gridflow.issuing import report

    try:
        day = date.fromisoformat(target_date)
    except ValueError:
        fail(ValueError(f"DATE {target_date!r} is not YYYY-MM-DD"))
    rows = read_forecast(zone, day)
    if not rows:
        fail(LookupError(f"no forecast issued for {zone} {day}; run `gridflow forecast issue --zone {zone} "
                         f"--for {day}`"))
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    for line in report.text_table(rows):
        typer.echo(line)


def demo_issue_step(echo: Callable[[str], None], zone: str, target_date: date, *, on_worker: bool = False) -> None:
    """Issue `zone` for `target_date` through the flow (on the worker's `day-ahead` deployment when
    `on_worker`) and print the run's line and the forecast's head with its interval."""
    from flows.issue_load_forecast import issue_load_forecast
    from gridflow.issuing import report
    from gridflow_cli.demo_runs import run_flow

    if on_worker:
        result = run_flow(issue_load_forecast, "day-ahead", on_worker=True, zones=[zone],
                          for_date=target_date.isoformat()).result
    else:
        result = run_issue([zone], target_date.isoformat())
    echo(f"    {result.issued[zone]}")
    rows = read_forecast(zone, target_date)
    peak = max(rows, key=lambda r: r["P50 MW"])
    for line in report.text_table(rows, limit=DEMO_HEAD_HOURS):
        echo(f"    {line}")
    echo(f"    ... {len(rows)} hours; peak P50 {peak['P50 MW']:,} MW at {peak['local hour'][-5:]} "
         f"(P10-P90 {peak['P10 MW']:,}-{peak['P90 MW']:,} MW)")
