"""The `gridflow` command line: run the demo, ingest, retrain, inspect and roll back models.

Heavy libraries (Prefect, MLflow, GX) are imported inside commands so `gridflow --help` is fast.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from gridflow.config import get_settings
from gridflow.errors import GridflowError
from gridflow_cli.ab import ab_app
from gridflow_cli.alerts import alerts_app
from gridflow_cli.api import api_app
from gridflow_cli.demo import demo
from gridflow_cli.fleet import fleet_app
from gridflow_cli.forecast import forecast_app
from gridflow_cli.ops import register as register_ops
from gridflow_cli.shell import GridflowApp, bootstrap, fail, local_server, print_decision
from gridflow_cli.storm import storm_app
from gridflow_cli.stream import stream_app

app = GridflowApp(no_args_is_help=True, add_completion=False, help=__doc__)
ingest_app = typer.Typer(no_args_is_help=True, help="Load source data into the warehouse.")
server_app = typer.Typer(no_args_is_help=True, help="The local Prefect server of the embedded stack.")
app.add_typer(ingest_app, name="ingest")
app.add_typer(server_app, name="server")
app.add_typer(alerts_app, name="alerts")
app.add_typer(storm_app, name="storm")
app.add_typer(forecast_app, name="forecast")
app.add_typer(api_app, name="api")
app.add_typer(ab_app, name="ab")
app.add_typer(stream_app, name="stream")
app.add_typer(fleet_app, name="fleet")
register_ops(app)  # up, down, status, deploy, worker, rerun


@ingest_app.command("pjm")
def ingest_pjm(
    file: Annotated[Path | None, typer.Option("--file", exists=True, dir_okay=False,
                                              help="a Data Miner 2 CSV export or Kaggle-format file")] = None,
    feed: Annotated[str, typer.Option(help="Data Miner 2 feed; with --file: hrl_load_metered or "
                                           "da_hrl_lmps")] = "hrl_load_metered",
    zone: Annotated[list[str] | None, typer.Option("--zone", help="zone(s); repeat the option")] = None,
    start: Annotated[str | None, typer.Option(help="first day (YYYY-MM-DD) when there is no watermark")] = None,
    end: Annotated[str | None, typer.Option(help="last day (YYYY-MM-DD); default: now")] = None,
    base_url: Annotated[str | None, typer.Option(help="API base URL (default: api.pjm.com)")] = None,
    requests_per_minute: Annotated[float, typer.Option(help="PJM allows non-members 6, members 600")] = 6.0,
    chunk_days: Annotated[int | None, typer.Option(min=1, max=365, help="days per request range (default: "
                                                   "the feed's; da_hrl_lmps: 1)")] = None,
):
    """PJM hourly load or day-ahead LMPs (--feed da_hrl_lmps): a CSV export with --file, otherwise the
    Data Miner 2 API (key: PJM_API_KEY)."""
    bootstrap()
    try:
        if file is not None and feed == "da_hrl_lmps":
            from flows.ingest_pjm_prices import ingest_pjm_prices

            typer.echo(ingest_pjm_prices(str(file)).describe())
            return
        if file is not None:
            from flows.ingest_pjm_load import ingest_pjm_load

            typer.echo(ingest_pjm_load(str(file)).describe())
            return
        from flows.ingest_pjm import ingest_pjm as ingest_pjm_flow
        from gridflow.ingest.progress import page_progress

        # Long backfills take minutes at 6 requests a minute: show pages as they arrive.
        with typer.progressbar(length=1, label="PJM pages", file=sys.stderr) as bar:
            def advance(done: int, total: int) -> None:
                bar.length = max(total, 1)
                bar.update(done - bar.pos)

            with page_progress(advance):
                result = ingest_pjm_flow(feed=feed, zones=zone, start=start, end=end, base_url=base_url,
                                         requests_per_minute=requests_per_minute, chunk_days=chunk_days)
        typer.echo(result.describe())
    except GridflowError as exc:
        fail(exc)


@ingest_app.command("ercot")
def ingest_ercot(
    report: Annotated[str, typer.Option(
        help="report key, e.g. dam_spp, dam_energy_sold, actual_load_wz, dam_hub_prices_yearly")] = "dam_spp",
    base_url: Annotated[str | None, typer.Option(help="MIS base URL (default: www.ercot.com)")] = None,
    settlement_point: Annotated[list[str] | None, typer.Option("--settlement-point", help="keep only these")] = None,
    max_documents: Annotated[int | None, typer.Option(help="load at most N new documents")] = None,
    offline: Annotated[bool, typer.Option(
        help="read the documents shipped in data/ from a local replay of MIS (no network)")] = False,
):
    """ERCOT MIS report documents not loaded before (listing, ZIP download, CSV or workbook)."""
    bootstrap()
    from flows.ingest_ercot import ingest_ercot as ingest_ercot_flow
    from gridflow.replay.offline_sources import offline_sources

    def run(url: str | None):
        return ingest_ercot_flow(report=report, base_url=url, settlement_points=settlement_point,
                                 max_documents=max_documents)

    try:
        if offline:
            # The replay's PJM half needs a key to check; nothing here talks to PJM.
            with offline_sources(pjm_api_key="offline") as replay:
                result = run(replay.ercot_base_url)
        else:
            result = run(base_url)
    except GridflowError as exc:
        fail(exc)
    typer.echo(result.describe())


@ingest_app.command("meters")
def ingest_meters(
    folder: Annotated[Path, typer.Option("--folder", exists=True, file_okay=False, help="drop folder")],
    pattern: Annotated[str, typer.Option(help="file name pattern (e.g. '*.csv.gz')")] = "*.csv",
    tz: Annotated[str | None, typer.Option(
        help="the meters' time zone, e.g. Australia/Sydney (default America/Chicago)")] = None,
):
    """Smart-meter interval files in a drop folder (SMT, timestamp/kWh, long meter/timestamp/kWh, Green
    Button CSV; .csv.gz too)."""
    bootstrap()
    from flows.ingest_smart_meter import ingest_smart_meter

    try:
        report = ingest_smart_meter(str(folder), pattern, tz=tz)
    except GridflowError as exc:
        fail(exc)
    typer.echo(report.describe())


@ingest_app.command("weather")
def ingest_weather(
    site: Annotated[list[str] | None, typer.Option("--site", help="configured site(s); default: all")] = None,
    base_url: Annotated[str | None, typer.Option(help="NWS API base URL (default: api.weather.gov)")] = None,
    as_of: Annotated[str | None, typer.Option(help="judge staleness at this UTC time (replays)")] = None,
):
    """NWS hourly forecast vintage and station observations of the configured weather sites."""
    bootstrap()
    from flows.ingest_weather import ingest_weather as ingest_weather_flow

    try:
        report = ingest_weather_flow(sites=site, base_url=base_url, as_of_utc=as_of)
    except GridflowError as exc:
        fail(exc)
    typer.echo(report.describe())


@ingest_app.command("weather-history")
def ingest_weather_history(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="a GHCN-Daily CSV export")],
    site: Annotated[str | None, typer.Option(help="site the file feeds (default: from the file name)")] = None,
):
    """A GHCN-Daily station history file into weather_daily (once per content)."""
    bootstrap()
    from flows.ingest_weather import ingest_weather_history as history_flow

    try:
        report = history_flow(str(path), site)
    except GridflowError as exc:
        fail(exc)
    typer.echo(report.describe())


@ingest_app.command("transformers")
def ingest_transformers(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="a transformer health-index CSV")],
):
    """A transformer DGA / oil-test CSV into transformer_reading (once per content)."""
    bootstrap()
    from flows.ingest_transformers import ingest_transformer_readings as transformer_flow

    try:
        report = transformer_flow(str(path))
    except GridflowError as exc:
        fail(exc)
    typer.echo(report.describe())


@ingest_app.command("plant")
def ingest_plant(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="a UCI CCPP-format CSV")],
    plant: Annotated[str, typer.Option(help="plant id the readings belong to")] = "uci-ccpp",
):
    """A combined-cycle plant hourly CSV (AT, V, AP, RH, PE) into plant_hourly (once per content)."""
    bootstrap()
    from flows.ingest_plant import ingest_plant_hourly

    try:
        report = ingest_plant_hourly(str(path), plant)
    except GridflowError as exc:
        fail(exc)
    typer.echo(report.describe())



@app.command()
def retrain(
    model: Annotated[str, typer.Argument(help="use case / registered model name")] = "load_forecast",
    trigger: Annotated[str, typer.Option(help="why this retrain runs (recorded)")] = "manual (CLI)",
):
    """Train a challenger, evaluate it against the champion and apply the promotion gate."""
    bootstrap()
    from flows.retrain import retrain as retrain_flow

    try:
        result = retrain_flow(model=model, trigger=trigger)
    except GridflowError as exc:
        fail(exc)
    print_decision(result)


@app.command()
def models(as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False):
    """Each registered model with its champion and challenger versions and key metrics."""
    from gridflow.registry import mlflow_registry as registry

    registry.configure(get_settings().mlflow_tracking_uri)
    listing = registry.list_models()
    if as_json:
        typer.echo(json.dumps(listing, indent=2, default=str))
        return
    if not listing:
        typer.echo("no registered models yet: run `gridflow retrain load_forecast`")
    for entry in listing:
        typer.echo(entry["name"])
        for alias in ("champion", "challenger"):
            info = entry[alias]
            if info is None:
                typer.echo(f"  {alias:<10} (none)")
                continue
            keys = [k for k in _summary_metrics(entry["name"]) if k in info["metrics"]]
            shown = ", ".join(f"{k}={info['metrics'][k]:.4g}" for k in keys)
            typer.echo(f"  {alias:<10} v{info['version']}  {shown}")


def _summary_metrics(model: str) -> list[str]:
    """MLflow metric names that summarise a version of `model` (none for a model gridflow does not know)."""
    from gridflow.errors import UnknownUseCaseError
    from gridflow.usecases.catalog import get_use_case

    try:
        use_case = get_use_case(model)
    except UnknownUseCaseError:
        return []
    return [f"holdout_{name}" for name in use_case.summary_metrics()]


@app.command()
def rollback(
    model: Annotated[str, typer.Argument(help="registered model name")],
    reason: Annotated[str, typer.Option(help="why (recorded in the audit table)")] = "operator rollback",
    actor: Annotated[str | None, typer.Option(help="who (default: $USER)")] = None,
):
    """Point `champion` back at the previous champion; the move is audited."""
    import getpass

    from gridflow.runtime import warehouse
    from gridflow.training.decision import roll_back

    bootstrap()  # the rollback is announced on the stack's event stream
    try:
        move = roll_back(warehouse(), model, actor=actor or getpass.getuser(), reason=reason)
    except GridflowError as exc:
        fail(exc)
    typer.echo(f"{model}: champion v{move.from_version} -> v{move.to_version} (audit row {move.audit_id})")


@app.command()
def history(model: Annotated[str, typer.Argument(help="registered model name")] = "load_forecast"):
    """The promotion audit trail of a model, newest first."""
    from gridflow.runtime import warehouse
    from gridflow.warehouse import audit

    with warehouse().connect() as conn:
        rows = audit.decision_history(conn, model)
    for row in rows:
        typer.echo(f"{row['decided_at']}  {row['action']:<8} {row['from_version']} -> {row['to_version']}"
                   f"  by {row['actor']}: {row['reason']}")


app.command()(demo)  # gridflow_cli.demo: the five-step offline demo


@app.command("mlflow-ui")
def mlflow_ui():
    """Serve the MLflow UI on the embedded tracking store (foreground; Ctrl-C stops it)."""
    import os

    settings = get_settings()
    command = [sys.executable, "-m", "mlflow", "server", "--host", "127.0.0.1",
               "--port", str(settings.mlflow_ui_port),
               "--backend-store-uri", settings.mlflow_tracking_uri,
               "--default-artifact-root", settings.mlflow_artifact_root]
    os.execv(sys.executable, command)


@app.command()
def serve(
    only: Annotated[list[str] | None, typer.Option("--deployment", help="FLOW/NAME to serve; repeat")] = None,
):
    """Serve the deployments from this process (schedules, triggers, UI runs and retries)."""
    bootstrap()
    from prefect import serve as prefect_serve

    from deployments.definitions import all_deployments

    chosen = [d for d in all_deployments() if not only or f"{d.flow_name}/{d.name}" in only]
    if not chosen:
        fail(GridflowError(f"no deployment named {only}"))
    prefect_serve(*chosen)


@server_app.command("start")
def server_start():
    """Start the local Prefect server (no-op when it already runs)."""
    bootstrap()
    typer.echo(f"Prefect UI at {local_server(get_settings()).ui_url}")


@server_app.command("stop")
def server_stop():
    """Stop the local Prefect server."""
    from gridflow.services import prefect_server

    stopped = prefect_server.stop(local_server(get_settings()))
    typer.echo("stopped" if stopped else "not running")


@server_app.command("status")
def server_status():
    """Say whether the local Prefect server runs and answers."""
    from gridflow.services import stack

    row = stack.local_prefect_status(local_server(get_settings()))
    note = f" · {row.note}" if row.note else ""
    typer.echo(f"pid {row.pid or '-'} · {'healthy' if row.healthy else 'not answering'} · {row.url}{note}")


def main() -> None:
    """Console entry point."""
    app()


if __name__ == "__main__":
    main()
