"""`gridflow demo`: the whole system on shipped data, offline, in nine steps.

1. the shipped PJM East hourly load file and BWI weather (GHCN-Daily history, then a forecast
vintage and the morning's observations from a replayed api.weather.gov); 2. ERCOT MIS and the PJM
Data Miner 2 API from a local replay server, and smart-meter exports from a drop folder; 3. the
load forecast retrained with weather and gated; 4. the day-ahead forecast issued for the shipped
data's last day, as of 09:00 the day before; 5. a drift scenario whose event starts the retrain
deployment; 6. a storm scenario: the outage-risk model, a replayed NWS warning and its update, and
the crew staging plans; 7. transformer health served by the scoring API with its challenger in
shadow, and the shadow comparison on measured health indices; 8. a model per zone for two more
PJM zones, retrained in parallel by the retrain-fleet flow, each through its own gate; 9. ERCOT's
yearly DAM hub prices (2021, 2022, 2025) from the replayed MIS, and the day-ahead price forecast
retrained through its gate.

With `gridflow up` running (as `make demo` does), the demo starts its runs through the deployments on
the stack's worker, as an operator would, and the worker answers the drift and alert events through
the deployments' triggers, exactly as in production; without it, the demo runs the same flows
in-process so it still works on its own. Runs whose settings the demo narrows (the serving step's
two estimators, the fleet step's shorter history) and the PJM API ingest (the replay's key lives in
this process only) run in-process either way.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from gridflow.config import Settings
from gridflow.errors import GridflowError
from gridflow.provenance import PROJECT_ROOT
from gridflow_cli.demo_fleet import fleet_scenario
from gridflow_cli.demo_prices import price_scenario
from gridflow_cli.demo_runs import run_flow
from gridflow_cli.demo_serving import serving_scenario
from gridflow_cli.forecast import demo_issue_step
from gridflow_cli.shell import bootstrap, fail, local_server, print_decision

DEMO_FILE = PROJECT_ROOT / "data" / "PJME_hourly.csv"
WEATHER_HISTORY = PROJECT_ROOT / "data" / "weather" / "USW00093721_BWI_daily_2001_2018.csv"
WEATHER_SITE = "BWI"
# The shipped load file's last full local day; its forecast is issued as of 2018-08-01 09:00 EDT.
ISSUE_DAY = date(2018, 8, 2)
ISSUE_AS_OF_UTC = "2018-08-01T13:00:00Z"
DEMO_ASSETS = 200_000
DEMO_STORMS = 20
STORM_DEPLOYMENT = "storm-response/on-alert"
RETRAIN_DEPLOYMENT = "retrain/load-forecast"


def demo(
    file: Annotated[Path, typer.Option(help="hourly load CSV to train on")] = DEMO_FILE,
    sources: Annotated[bool, typer.Option(help="also ingest ERCOT, PJM API and meter files (offline)")] = True,
    drift: Annotated[bool, typer.Option(help="run the drift scenario: monitor, event, triggered retrain")] = True,
    storm: Annotated[bool, typer.Option(help="run the storm scenario: outage model, NWS alert, crew plan")] = True,
    serving: Annotated[bool, typer.Option(help="serve transformer health with a shadow challenger")] = True,
    fleet: Annotated[bool, typer.Option(help="retrain a model per zone for two more PJM zones")] = True,
    prices: Annotated[bool, typer.Option(help="ERCOT's yearly DAM prices and the hub price forecast")] = True,
):
    """Ingest the shipped data, validate, train, evaluate and promote through the gate, offline."""
    started = time.perf_counter()
    settings = bootstrap()
    from flows.ingest_pjm_load import ingest_pjm_load
    from flows.retrain import retrain as retrain_flow

    on_worker = worker_ready()
    typer.echo(f"gridflow demo · data folder {settings.home}")
    typer.echo("    runs start through their deployments on the stack's worker, as an operator's would"
               if on_worker else "    no worker online (`gridflow up`): the demo runs its flows in this process")
    try:
        typer.echo(f"1/9 ingest {file.name} and {WEATHER_SITE} weather ...")
        summary = run_flow(ingest_pjm_load, "pjm-load-file", on_worker=on_worker, path=str(file)).result
        typer.echo(f"    {summary.status}: {summary.rows_read} rows read, {summary.rows_written} written"
                   f" ({summary.reason[:120]})")
        for line in ingest_demo_weather(on_worker):
            typer.echo(f"    {line}")
        if sources:
            typer.echo("2/9 ingest the other sources from replayed real-format payloads ...")
            for line in ingest_other_sources(settings, on_worker):
                typer.echo(f"    {line}")
        typer.echo("3/9 retrain load_forecast (validate, features, train, backtest, evaluate, gate) ...")
        retrained = run_flow(retrain_flow, "load-forecast", on_worker=on_worker, model="load_forecast",
                             trigger="demo")
        result = retrained.result
        print_decision(result)
        typer.echo(f"4/9 issue the day-ahead forecast for {ISSUE_DAY} (as of 09:00 the day before) ...")
        demo_issue_step(typer.echo, "PJME", ISSUE_DAY, on_worker=on_worker)
        if drift:
            typer.echo("5/9 drift scenario: July 2017 x 1.15 (load growth), re-dated after the data ...")
            drift_scenario(on_worker)
        if storm:
            typer.echo("6/9 storm scenario: outage_risk model, a replayed NWS warning over Houston, crew plan ...")
            seed_and_train(typer.echo, on_worker)
            head = storm_scenario(typer.echo, on_worker)
            typer.echo("")
            typer.echo(head or "    no crew plan stored")
        if serving:
            typer.echo("7/9 serving: transformer_health champion and challenger behind the scoring API, in shadow ...")
            serving_scenario(typer.echo, on_worker)
        if fleet:
            typer.echo("8/9 fleet: a model per zone for DOM and AEP, retrained in parallel, each through its gate ...")
            fleet_scenario(typer.echo, on_worker)
        if prices:
            typer.echo("9/9 prices: ERCOT's yearly DAM workbooks through the MIS source, then price_forecast "
                       "through its gate ...")
            price_scenario(typer.echo, on_worker)
    except GridflowError as exc:
        fail(exc)
    server = local_server(settings)
    flow_run_id = retrained.flow_run_id
    typer.echo("")
    typer.echo(f"Prefect UI : {server.ui_url}/runs/flow-run/{flow_run_id}"
               "  (the stack keeps running: `gridflow status`, stop it with `gridflow down`)")
    typer.echo(f"MLflow UI  : {settings.mlflow_ui_url}/#/experiments/{result.experiment_id}/runs/"
               f"{result.mlflow_run_id}  (started by `gridflow up`; else `gridflow mlflow-ui`)")
    if on_worker:
        typer.echo(f"local stack: {stack_footprint(settings)}")
    typer.echo(f"finished in {time.perf_counter() - started:.0f} s")


def stack_footprint(settings: Settings) -> str:
    """The local stack's resident memory, per process (children included)."""
    from deployments.definitions import WORK_POOL
    from gridflow.services.footprint import describe, resident_bytes
    from gridflow.services.stack import status

    return describe({row.name: resident_bytes(row.pid) for row in status(settings, pool=WORK_POOL)})


def ingest_demo_weather(on_worker: bool) -> list[str]:
    """BWI's GHCN-Daily history, then a replayed NWS vintage and the morning's observations as they
    stood at the demo's issue time (SYNTHETIC values derived from GHCN, real NWS layout)."""
    from flows.ingest_weather import ingest_weather, ingest_weather_history
    from gridflow.replay import ReplayServer
    from gridflow.replay.nws_weather import demo_weather_scenario

    history = run_flow(ingest_weather_history, "ghcn-file", on_worker=on_worker, path=str(WEATHER_HISTORY)).result
    with ReplayServer() as server:
        demo_weather_scenario(WEATHER_SITE, ISSUE_DAY, ISSUE_DAY).serve(server)
        live = run_flow(ingest_weather, "nws-sites", on_worker=on_worker, sites=[WEATHER_SITE],
                        base_url=server.base_url, as_of_utc=ISSUE_AS_OF_UTC).result
    return [f"GHCN-Daily history: {history.describe()}", f"NWS forecast vintage (replayed): {live.describe()}"]


def ingest_other_sources(settings: Settings, on_worker: bool) -> list[str]:
    """ERCOT MIS and PJM API against a local replay server, and the shipped meter export."""
    import os
    import shutil

    from flows.ingest_ercot import ingest_ercot
    from flows.ingest_pjm import ingest_pjm
    from flows.ingest_smart_meter import ingest_smart_meter
    from gridflow.replay.offline_sources import offline_sources

    # The replay checks the key like the real API; a real key in the environment is never sent
    # anywhere but 127.0.0.1 here.
    key = os.environ.setdefault("PJM_API_KEY", "offline-demo-key")
    lines = []
    with offline_sources(pjm_api_key=key) as replay:
        ercot = run_flow(ingest_ercot, "actual-load", on_worker=on_worker, report="actual_load_wz",
                         base_url=replay.ercot_base_url).result
        lines.append(f"ERCOT actual load by weather zone: {ercot.describe()}")
        # In-process: the worker does not hold the replay's key, and a demo should not store one.
        pjm = ingest_pjm(zones=replay.pjm_zones, start=replay.pjm_start, end=replay.pjm_end,
                         base_url=replay.pjm_base_url, requests_per_minute=600)
        lines.append(f"PJM Data Miner 2 hrl_load_metered: {pjm.describe()}")
    dropbox = settings.home / "dropbox"
    dropbox.mkdir(parents=True, exist_ok=True)
    for export in sorted((PROJECT_ROOT / "data" / "meters").glob("*.csv")):
        if not (dropbox / export.name).exists():
            shutil.copy2(export, dropbox / export.name)
    meters = run_flow(ingest_smart_meter, "meter-dropbox", on_worker=on_worker, folder=str(dropbox)).result
    lines.append(f"smart-meter drop folder: {meters.count('loaded')} loaded, {meters.count('skipped')} skipped, "
                 f"{meters.count('quarantined')} quarantined, {meters.rows_written} rows written")
    return lines


def drift_scenario(on_worker: bool) -> None:
    """Append a shifted period, run the monitor, and retrain when it decides so."""
    import pandas as pd

    from flows.monitor_drift import monitor_drift
    from flows.retrain import retrain as retrain_flow
    from gridflow import events
    from gridflow.monitoring.scenario import shifted_period
    from gridflow.runtime import warehouse
    from gridflow.warehouse.loads import read_load_observations, write_load_observations

    # Anchored on the shipped file's last hour (starts 2018-08-03 03:00Z) and not on the warehouse's,
    # so a second demo run rewrites exactly the same rows instead of appending another month.
    shipped_end = pd.Timestamp("2018-08-03 04:00", tz="UTC")
    with warehouse().begin() as conn:
        load = read_load_observations(conn, zone="PJME", end_utc=shipped_end)
        write_load_observations(conn, shifted_period(load, "2017-07-07", "2017-08-04", 1.15), None)

    since = datetime.now(UTC)
    check = run_flow(monitor_drift, "load-forecast", on_worker=on_worker, model="load_forecast",
                     window_days=14).result
    typer.echo(f"    monitor: {check.action.upper()} - {check.reason}")
    if check.action != "retrain":
        return
    if on_worker:
        typer.echo(f"    event {events.DRIFT_DETECTED} emitted; the {RETRAIN_DEPLOYMENT} deployment's "
                   "trigger starts a run on the stack's worker ...")
        run = wait_triggered_run(RETRAIN_DEPLOYMENT, since, timeout=600)
        typer.echo(f"    triggered run {run.name if run else '-'}: {run.state.name if run else 'not finished in time'}"
                   f" · {_last_audit('load_forecast')}")
        return
    typer.echo(f"    event {events.DRIFT_DETECTED} emitted; no worker runs (`gridflow up`), so the demo"
               " runs the triggered retrain in-process:")
    print_decision(retrain_flow(model="load_forecast", trigger=f"drift: {check.reason}"))


def seed_and_train(echo: Callable[[str], None], on_worker: bool) -> None:
    """The sample inventory and storm history (once), then outage_risk through the gate."""
    import sqlalchemy as sa

    from flows.retrain import retrain
    from gridflow.runtime import warehouse
    from gridflow.storm.history import generate_storm_history
    from gridflow.storm.inventory import generate_inventory
    from gridflow.warehouse.storm import write_assets, write_storm_outcomes

    with warehouse().connect() as conn:
        seeded = conn.execute(sa.text("SELECT count(*) FROM asset")).scalar_one()
    if not seeded:
        inventory = generate_inventory(DEMO_ASSETS, seed=0)
        history = generate_storm_history(inventory, n_storms=DEMO_STORMS, seed=0)
        with warehouse().begin() as conn:
            write_assets(conn, inventory)
            write_storm_outcomes(conn, history)
        echo(f"    seeded {len(inventory):,} Texas assets and {DEMO_STORMS} past storms "
             f"({len(history):,} asset outcomes, {int(history['failed'].sum()):,} failures)")
    result = run_flow(retrain, "outage-risk", on_worker=on_worker, model="outage_risk", trigger="demo").result
    challenger = result.evaluation.challenger
    echo(f"    outage_risk v{result.version}: PR-AUC {challenger.get('pr_auc', float('nan')):.3f}, "
         f"Brier {challenger.get('brier', float('nan')):.4f} · gate {result.decision.action.upper()}: "
         f"{result.decision.reason[:140]}")


def storm_scenario(echo: Callable[[str], None], on_worker: bool) -> str | None:
    """Alert -> plan, then its Update -> superseding plan, from a replayed api.weather.gov.

    Returns the markdown head of the warning's current plan.
    """
    from flows.poll_weather_alerts import poll_weather_alerts
    from flows.storm_response import storm_response
    from gridflow.replay import ReplayServer
    from gridflow.replay.nws import SVR_ALERT_ID, serve_nws, texas_storm_scenario
    from gridflow.runtime import warehouse
    from gridflow.storm.response import plan_markdown
    from gridflow.warehouse import alerts
    from gridflow.warehouse.storm import read_plan

    chain_id = None
    with ReplayServer() as server:
        nws = serve_nws(server, texas_storm_scenario())
        for step in ("alert", "update"):
            if step == "update":
                nws.advance()  # the same list again: nothing new to announce
                nws.advance()
            since = datetime.now(UTC)
            summary = run_flow(poll_weather_alerts, "nws-active", on_worker=on_worker,
                               base_url=server.base_url).result
            echo(f"    NWS poll ({step}): {_describe_poll(summary)}")
            for alert_id in [c.alert_id for c in summary.changes]:
                if on_worker:
                    run = wait_triggered_run(STORM_DEPLOYMENT, since)
                    state = run.state.name if run is not None else "not started in time"
                    echo(f"    event -> deployment trigger -> {STORM_DEPLOYMENT} run {run.name if run else ''}: "
                         f"{state}")
                else:
                    result = storm_response(alert_id)
                    echo(f"    storm-response (in-process, no worker running): {result.action} - "
                         f"{result.reason}")
                with warehouse().connect() as conn:
                    stored = alerts.get_alert(conn, alert_id)
                    chain_id = stored.chain_id if stored is not None else chain_id
    if chain_id is None:
        with warehouse().connect() as conn:
            stored = alerts.get_alert(conn, SVR_ALERT_ID)
            chain_id = stored.chain_id if stored is not None else None
    if chain_id is None:
        return None
    with warehouse().connect() as conn:
        found = read_plan(conn, chain_id)
    return None if found is None else plan_markdown(*found, head=5)


def worker_ready() -> bool:
    """True when the stack's work pool has an online worker to run triggered deployments."""
    from deployments.definitions import WORK_POOL
    from gridflow.services.stack import pool_ready

    return pool_ready(WORK_POOL)


def wait_triggered_run(deployment: str, since: datetime, timeout: float = 300) -> Any:
    """The first run of `deployment` created after `since`, once finished; None on timeout."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId

    deadline = time.monotonic() + timeout
    with get_client(sync_client=True) as client:
        target = client.read_deployment_by_name(deployment)
        while time.monotonic() < deadline:
            runs = client.read_flow_runs(deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[target.id])))
            fresh = [r for r in runs if r.created and r.created >= since]
            done = [r for r in fresh if r.state is not None and r.state.is_final()]
            if done:
                return min(done, key=lambda r: r.created)
            time.sleep(1)
    return None


def _last_audit(model: str) -> str:
    from gridflow.runtime import warehouse
    from gridflow.warehouse.audit import decision_history

    with warehouse().connect() as conn:
        rows = decision_history(conn, model, limit=1)
    return f"gate: {rows[0]['action'].upper()} - {rows[0]['reason']}" if rows else "no gate decision recorded"


def _describe_poll(summary: Any) -> str:
    if not summary.changes:
        return f"nothing new ({summary.describe()})"
    return "; ".join(f"{c.kind}: {c.event} v{c.chain_version}" for c in summary.changes)
