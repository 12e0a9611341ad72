"""The `gridflow` command line: run the demo, ingest, retrain, inspect and roll back models.

Heavy libraries (Prefect, MLflow, GX) are imported inside commands so `gridflow --help` is fast.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from gridflow.cli_alerts import alerts_app
from gridflow.cli_ops import register as register_ops
from gridflow.cli_storm import storm_app
from gridflow.config import Settings, get_settings
from gridflow.errors import GridflowError
from gridflow.provenance import PROJECT_ROOT

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)
ingest_app = typer.Typer(no_args_is_help=True, help="Load source data into the warehouse.")
server_app = typer.Typer(no_args_is_help=True, help="The local Prefect server of the embedded stack.")
app.add_typer(ingest_app, name="ingest")
app.add_typer(server_app, name="server")
app.add_typer(alerts_app, name="alerts")
app.add_typer(storm_app, name="storm")
register_ops(app)  # up, down, status, deploy, worker, rerun

DEMO_FILE = PROJECT_ROOT / "data" / "PJME_hourly.csv"


def _bootstrap() -> Settings:
    """Create the data folder, make sure a Prefect API is reachable and point this process at it."""
    from gridflow.prefect_env import configure_prefect
    from gridflow.services import prefect_server

    settings = get_settings()
    settings.home.mkdir(parents=True, exist_ok=True)
    if settings.prefect_api_url:
        configure_prefect(settings, settings.prefect_api_url)
        return settings
    server = _local_server(settings)
    if prefect_server.ensure_running(server):
        typer.echo(f"started the local Prefect server at {server.ui_url} (log: {server.log_file})")
    configure_prefect(settings, server.api_url)
    return settings


def _local_server(settings: Settings):
    from gridflow.services.prefect_server import LocalPrefectServer

    return LocalPrefectServer(home=settings.prefect_home, port=settings.prefect_port)


def _fail(exc: Exception) -> None:
    typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code=1)


@ingest_app.command("pjm")
def ingest_pjm(
    file: Annotated[Path | None, typer.Option("--file", exists=True, dir_okay=False,
                                              help="a Data Miner 2 CSV export or Kaggle-format file")] = None,
    feed: Annotated[str, typer.Option(help="Data Miner 2 feed (API mode)")] = "hrl_load_metered",
    zone: Annotated[list[str] | None, typer.Option("--zone", help="zone(s); repeat the option")] = None,
    start: Annotated[str | None, typer.Option(help="first day (YYYY-MM-DD) when there is no watermark")] = None,
    end: Annotated[str | None, typer.Option(help="last day (YYYY-MM-DD); default: now")] = None,
    base_url: Annotated[str | None, typer.Option(help="API base URL (default: api.pjm.com)")] = None,
    requests_per_minute: Annotated[float, typer.Option(help="PJM allows non-members 6, members 600")] = 6.0,
):
    """PJM hourly load: a CSV export with --file, otherwise the Data Miner 2 API (key: PJM_API_KEY)."""
    _bootstrap()
    try:
        if file is not None:
            from flows.ingest_pjm_load import ingest_pjm_load

            summary = ingest_pjm_load(str(file))
            typer.echo(f"{summary.status}: {summary.rows_written} rows written ({summary.reason})")
            return
        from flows.ingest_pjm import ingest_pjm as ingest_pjm_flow
        from tasks.ingest_pjm_api import pjm_progress

        # Long backfills take minutes at 6 requests a minute: show pages as they arrive.
        with typer.progressbar(length=1, label="PJM pages", file=sys.stderr) as bar:
            def advance(done: int, total: int) -> None:
                bar.length = max(total, 1)
                bar.update(done - bar.pos)

            with pjm_progress(advance):
                result = ingest_pjm_flow(feed=feed, zones=zone, start=start, end=end, base_url=base_url,
                                         requests_per_minute=requests_per_minute)
        typer.echo(_describe(result))
    except GridflowError as exc:
        _fail(exc)


@ingest_app.command("ercot")
def ingest_ercot(
    report: Annotated[str, typer.Option(help="report key, e.g. dam_spp, dam_energy_sold, actual_load")] = "dam_spp",
    base_url: Annotated[str | None, typer.Option(help="MIS base URL (default: www.ercot.com)")] = None,
    settlement_point: Annotated[list[str] | None, typer.Option("--settlement-point", help="keep only these")] = None,
    max_documents: Annotated[int | None, typer.Option(help="load at most N new documents")] = None,
):
    """ERCOT MIS report documents not loaded before (listing, ZIP download, CSV)."""
    _bootstrap()
    from flows.ingest_ercot import ingest_ercot as ingest_ercot_flow

    try:
        result = ingest_ercot_flow(report=report, base_url=base_url, settlement_points=settlement_point,
                                   max_documents=max_documents)
    except GridflowError as exc:
        _fail(exc)
    typer.echo(_describe(result))


@ingest_app.command("meters")
def ingest_meters(
    folder: Annotated[Path, typer.Option("--folder", exists=True, file_okay=False, help="drop folder")],
    pattern: Annotated[str, typer.Option(help="file name pattern")] = "*.csv",
):
    """Smart-meter interval files in a drop folder (SMT, timestamp/kWh, Green Button CSV)."""
    _bootstrap()
    from flows.ingest_smart_meter import ingest_smart_meter

    try:
        report = ingest_smart_meter(str(folder), pattern)
    except GridflowError as exc:
        _fail(exc)
    typer.echo(f"{len(report.files)} files: {report.count('loaded')} loaded, {report.count('skipped')} skipped, "
               f"{report.count('quarantined')} quarantined; {report.rows_written} rows written")


def _describe(result: Any) -> str:
    """One line from an ingestion summary dataclass: its counters, whatever the source."""
    from dataclasses import asdict, is_dataclass

    if not is_dataclass(result):
        return str(result)
    counters = {k: v for k, v in asdict(result).items() if isinstance(v, int | float | str) and v not in ("", None)}
    if callable(getattr(result, "count", None)):  # per-item outcomes: tally them
        for status in ("loaded", "skipped", "quarantined", "failed"):
            counters.setdefault(status, result.count(status))
    if isinstance(getattr(type(result), "rows_written", None), property):
        counters["rows_written"] = result.rows_written
    return ", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in counters.items())


@app.command()
def retrain(
    model: Annotated[str, typer.Argument(help="use case / registered model name")] = "load_forecast",
    trigger: Annotated[str, typer.Option(help="why this retrain runs (recorded)")] = "manual (CLI)",
):
    """Train a challenger, evaluate it against the champion and apply the promotion gate."""
    _bootstrap()
    from flows.retrain import retrain as retrain_flow

    try:
        result = retrain_flow(model=model, trigger=trigger)
    except GridflowError as exc:
        _fail(exc)
    _print_decision(result)


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
            wanted = ("holdout_mape", "holdout_rmse", "holdout_peak_hour_mape")
            keys = [k for k in wanted if k in info["metrics"]]
            shown = ", ".join(f"{k}={info['metrics'][k]:.4g}" for k in keys)
            typer.echo(f"  {alias:<10} v{info['version']}  {shown}")


@app.command()
def rollback(
    model: Annotated[str, typer.Argument(help="registered model name")],
    reason: Annotated[str, typer.Option(help="why (recorded in the audit table)")] = "operator rollback",
    actor: Annotated[str | None, typer.Option(help="who (default: $USER)")] = None,
):
    """Point `champion` back at the previous champion; the move is audited."""
    import getpass

    from gridflow.registry import mlflow_registry as registry
    from gridflow.registry.promotion import rollback_champion
    from tasks.common import warehouse

    settings = get_settings()
    registry.configure(settings.mlflow_tracking_uri)
    try:
        move = rollback_champion(warehouse(), model, actor=actor or getpass.getuser(), reason=reason)
    except GridflowError as exc:
        _fail(exc)
    typer.echo(f"{model}: champion v{move.from_version} -> v{move.to_version} (audit row {move.audit_id})")


@app.command()
def history(model: Annotated[str, typer.Argument(help="registered model name")] = "load_forecast"):
    """The promotion audit trail of a model, newest first."""
    from gridflow.warehouse import audit
    from tasks.common import warehouse

    with warehouse().connect() as conn:
        rows = audit.decision_history(conn, model)
    for row in rows:
        typer.echo(f"{row['decided_at']}  {row['action']:<8} {row['from_version']} -> {row['to_version']}"
                   f"  by {row['actor']}: {row['reason']}")


@app.command()
def demo(
    file: Annotated[Path, typer.Option(help="hourly load CSV to train on")] = DEMO_FILE,
    sources: Annotated[bool, typer.Option(help="also ingest ERCOT, PJM API and meter files (offline)")] = True,
    drift: Annotated[bool, typer.Option(help="run the drift scenario: monitor, event, triggered retrain")] = True,
    storm: Annotated[bool, typer.Option(help="run the storm scenario: outage model, NWS alert, crew plan")] = True,
):
    """Ingest the shipped data, validate, train, evaluate and promote through the gate, offline."""
    import time

    started = time.perf_counter()
    settings = _bootstrap()
    from flows.ingest_pjm_load import ingest_pjm_load
    from flows.retrain import retrain as retrain_flow

    typer.echo(f"gridflow demo · data folder {settings.home}")
    try:
        typer.echo(f"1/5 ingest {file.name} ...")
        summary = ingest_pjm_load(str(file))
        typer.echo(f"    {summary.status}: {summary.rows_read} rows read, {summary.rows_written} written"
                   f" ({summary.reason[:120]})")
        if sources:
            typer.echo("2/5 ingest the other sources from replayed real-format payloads ...")
            for line in _demo_sources(settings):
                typer.echo(f"    {line}")
        typer.echo("3/5 retrain load_forecast (validate, features, train, backtest, evaluate, gate) ...")
        state = retrain_flow(model="load_forecast", trigger="demo", return_state=True)
        result = state.result()
        _print_decision(result)
        if drift:
            typer.echo("4/5 drift scenario: July 2017 x 1.15 (load growth), re-dated after the data ...")
            _demo_drift()
        if storm:
            typer.echo("5/5 storm scenario: outage_risk model, a replayed NWS warning over Houston, crew plan ...")
            _demo_storm()
    except GridflowError as exc:
        _fail(exc)
    server = _local_server(settings)
    flow_run_id = state.state_details.flow_run_id
    typer.echo("")
    typer.echo(f"Prefect UI : {server.ui_url}/runs/flow-run/{flow_run_id}"
               "  (the stack keeps running: `gridflow status`, stop it with `gridflow down`)")
    typer.echo(f"MLflow UI  : {settings.mlflow_ui_url}/#/experiments/{result['experiment_id']}/runs/"
               f"{result['mlflow_run_id']}  (started by `gridflow up`; else `gridflow mlflow-ui`)")
    typer.echo(f"finished in {time.perf_counter() - started:.0f} s")


def _demo_drift() -> None:
    """Append a shifted period, run the monitor, and retrain when it decides so."""
    import pandas as pd

    from flows.monitor_drift import monitor_drift
    from flows.retrain import retrain as retrain_flow
    from gridflow.monitoring.scenario import shifted_period
    from gridflow.warehouse.loads import read_load_observations, write_load_observations
    from tasks.common import warehouse

    # Anchored on the shipped file's last hour (starts 2018-08-03 03:00Z) and not on the warehouse's,
    # so a second demo run rewrites exactly the same rows instead of appending another month.
    shipped_end = pd.Timestamp("2018-08-03 04:00", tz="UTC")
    with warehouse().begin() as conn:
        load = read_load_observations(conn, zone="PJME", end_utc=shipped_end)
        write_load_observations(conn, shifted_period(load, "2017-07-07", "2017-08-04", 1.15), None)
    from datetime import UTC, datetime

    since = datetime.now(UTC)
    check = monitor_drift(model="load_forecast", window_days=14)
    typer.echo(f"    monitor: {check['action'].upper()} - {check['reason']}")
    if check["action"] != "retrain":
        return
    from gridflow.demo_storm import wait_triggered_run, worker_ready

    if worker_ready():
        typer.echo("    event gridflow.model.drift.detected emitted; the retrain/load-forecast deployment's "
                   "trigger starts a run on the stack's worker ...")
        run = wait_triggered_run("retrain/load-forecast", since, timeout=600)
        typer.echo(f"    triggered run {run.name if run else '-'}: {run.state.name if run else 'not finished in time'}"
                   f" · {_last_audit('load_forecast')}")
        return
    typer.echo("    event gridflow.model.drift.detected emitted; no worker runs (`gridflow up`), so the demo"
               " runs the triggered retrain in-process:")
    _print_decision(retrain_flow(model="load_forecast", trigger=f"drift: {check['reason']}"))


def _last_audit(model: str) -> str:
    from gridflow.warehouse.audit import decision_history
    from tasks.common import warehouse

    with warehouse().connect() as conn:
        rows = decision_history(conn, model, limit=1)
    return f"gate: {rows[0]['action'].upper()} - {rows[0]['reason']}" if rows else "no gate decision recorded"


def _demo_storm() -> None:
    from gridflow.demo_storm import seed_and_train, storm_scenario

    seed_and_train(typer.echo)
    head = storm_scenario(typer.echo)
    typer.echo("")
    typer.echo(head or "    no crew plan stored")


def _demo_sources(settings: Settings) -> list[str]:
    """ERCOT MIS and PJM API against a local replay server, and the shipped meter export."""
    import os
    import shutil

    from flows.ingest_ercot import ingest_ercot as ingest_ercot_flow
    from flows.ingest_pjm import ingest_pjm as ingest_pjm_flow
    from flows.ingest_smart_meter import ingest_smart_meter
    from gridflow.replay.offline_sources import offline_sources

    # The replay checks the key like the real API; a real key in the environment is never sent
    # anywhere but 127.0.0.1 here.
    key = os.environ.setdefault("PJM_API_KEY", "offline-demo-key")
    lines = []
    with offline_sources(pjm_api_key=key) as replay:
        ercot = ingest_ercot_flow(report="actual_load_wz", base_url=replay.ercot_base_url)
        lines.append(f"ERCOT actual load by weather zone: {_describe(ercot)}")
        pjm = ingest_pjm_flow(zones=replay.pjm_zones, start=replay.pjm_start, end=replay.pjm_end,
                              base_url=replay.pjm_base_url, requests_per_minute=600)
        lines.append(f"PJM Data Miner 2 hrl_load_metered: {_describe(pjm)}")
    dropbox = settings.home / "dropbox"
    dropbox.mkdir(parents=True, exist_ok=True)
    for export in sorted((PROJECT_ROOT / "data" / "meters").glob("*.csv")):
        if not (dropbox / export.name).exists():
            shutil.copy2(export, dropbox / export.name)
    meters = ingest_smart_meter(str(dropbox))
    lines.append(f"smart-meter drop folder: {meters.count('loaded')} loaded, {meters.count('skipped')} skipped, "
                 f"{meters.count('quarantined')} quarantined, {meters.rows_written} rows written")
    return lines


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
    _bootstrap()
    from prefect import serve as prefect_serve

    from deployments.definitions import all_deployments

    chosen = [d for d in all_deployments() if not only or f"{d.flow_name}/{d.name}" in only]
    if not chosen:
        _fail(GridflowError(f"no deployment named {only}"))
    prefect_serve(*chosen)


@server_app.command("start")
def server_start():
    """Start the local Prefect server (no-op when it already runs)."""
    _bootstrap()
    typer.echo(f"Prefect UI at {_local_server(get_settings()).ui_url}")


@server_app.command("stop")
def server_stop():
    """Stop the local Prefect server."""
    from gridflow.services import prefect_server

    stopped = prefect_server.stop(_local_server(get_settings()))
    typer.echo("stopped" if stopped else "not running")


@server_app.command("status")
def server_status():
    """Say whether the local Prefect server runs and answers."""
    from gridflow.services import prefect_server

    server = _local_server(get_settings())
    pid = prefect_server.running_pid(server)
    healthy = prefect_server.is_healthy(server.api_url)
    typer.echo(f"pid {pid or '-'} · {'healthy' if healthy else 'not answering'} · {server.ui_url}")


def _print_decision(result: dict[str, Any]) -> None:
    decision = result["decision"]
    evaluation = result["evaluation"]
    champion = evaluation.champion or {}
    from gridflow.usecases import get_use_case

    use_case = get_use_case(result["model"])
    rows_label = getattr(use_case, "rows_label", "hourly targets")
    baseline = getattr(use_case, "baseline_label", "seasonal-naive baseline").replace(" baseline", "")
    typer.echo("")
    typer.echo(f"{result['model']} v{result['version']} evaluated on {evaluation.rows} {rows_label} "
               f"({evaluation.window_start_utc[:10]} .. {evaluation.window_end_utc[:10]} UTC)")
    typer.echo(f"  {'metric':<16}{'challenger':>12}{'champion':>12}{baseline:>16}")
    for name, value in evaluation.challenger.items():
        typer.echo(f"  {name:<16}{_fmt(value):>12}{_fmt(champion.get(name)):>12}"
                   f"{_fmt(evaluation.baseline.get(name)):>16}")
    typer.echo(f"gate: {decision['action'].upper()} - {decision['reason']}")
    typer.echo(f"audit row {result['audit_id']}; MLflow run {result['mlflow_run_id']}")


def _fmt(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.3f}" if abs(value) < 1000 else f"{value:,.0f}"


def main() -> None:
    """Console entry point."""
    app()


if __name__ == "__main__":
    main()
