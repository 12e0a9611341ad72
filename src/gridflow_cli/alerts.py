"""`gridflow alerts ...`: weather alerts handed to us instead of polled.

`push FILE` reads an NWS alert document (a FeatureCollection, or one Feature as ``/alerts/{id}``
answers), runs it through the poller's own steps (parse, storm filter, chains, idempotency) and
emits the same ``gridflow.weather.alert.*`` events through the configured Prefect API.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from gridflow.errors import GridflowError
from gridflow_cli.shell import bootstrap, fail

alerts_app = typer.Typer(no_args_is_help=True,
                         help="Weather alerts: poll api.weather.gov, or accept an alert pushed to us.")


@alerts_app.command("push")
def push(
    file: Annotated[Path, typer.Argument(help="NWS alert JSON (FeatureCollection or Feature); '-' reads stdin",
                                         allow_dash=True)],
):
    """Ingest an alert document as if polled: store it, and announce new warnings, updates, cancels."""
    if str(file) == "-":
        doc, source = sys.stdin.buffer.read(), "push:<stdin>"
    else:
        if not file.is_file():
            fail(FileNotFoundError(f"no such file: {file}"))
        doc, source = file.read_bytes(), f"push:{file.name}"
    bootstrap()
    from gridflow.storm.alert_intake import ingest_alert_document

    try:
        summary = ingest_alert_document(doc, received_via="push", source=source)
    except GridflowError as exc:
        fail(exc)
    for change in summary.changes:
        typer.echo(f"{change.kind:<9} {change.event}: {change.alert_id} (chain {change.chain_id}, "
                   f"version {change.chain_version})")
    for item in summary.announced:
        typer.echo(f"emitted   {item.event} for {item.alert_id} (event id {item.event_id})")
    for ignored in summary.ignored:
        typer.echo(f"ignored   {ignored.event} {ignored.alert_id}: {ignored.reason}")
    for error in summary.errors:
        typer.secho(f"unreadable {error}", fg=typer.colors.YELLOW, err=True)
    typer.echo(summary.describe())
    if summary.errors and not summary.seen - len(summary.errors):
        raise typer.Exit(code=1)  # nothing in the file could be read


@alerts_app.command("poll")
def poll(
    area: Annotated[list[str] | None, typer.Option("--area", help="state or marine area code; repeat")] = None,
    base_url: Annotated[str | None, typer.Option(help="NWS API base URL (default: api.weather.gov)")] = None,
):
    """Poll api.weather.gov once, as the `poll-weather-alerts` deployment does, and announce what is new."""
    bootstrap()
    from flows.poll_weather_alerts import poll_weather_alerts

    try:
        summary = poll_weather_alerts(areas=area, base_url=base_url)
    except GridflowError as exc:
        fail(exc)
    typer.echo(summary.describe())
