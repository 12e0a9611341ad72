"""The demo's storm scenario and its wait for event-triggered runs on the local stack.

With `gridflow up` running, the worker answers the alert events (and the drift event) through the
deployments' triggers, exactly as in production; without it, the demo runs the same flows
in-process so it still works on its own.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

DEMO_ASSETS = 200_000
DEMO_STORMS = 20
STORM_DEPLOYMENT = "storm-response/on-alert"


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


def seed_and_train(echo: Callable[[str], None]) -> None:
    """The sample inventory and storm history (once), then outage_risk through the gate."""
    import sqlalchemy as sa

    from flows.retrain import retrain
    from gridflow.storm.history import generate_storm_history
    from gridflow.storm.inventory import generate_inventory
    from gridflow.warehouse.storm import write_assets, write_storm_outcomes
    from tasks.common import warehouse

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
    result = retrain(model="outage_risk", trigger="demo")
    challenger = result["evaluation"].challenger
    echo(f"    outage_risk v{result['version']}: PR-AUC {challenger.get('pr_auc', float('nan')):.3f}, "
         f"Brier {challenger.get('brier', float('nan')):.4f} · gate {result['decision']['action'].upper()}: "
         f"{result['decision']['reason'][:140]}")


def storm_scenario(echo: Callable[[str], None]) -> str | None:
    """Alert -> plan, then its Update -> superseding plan, from a replayed api.weather.gov.

    Returns the markdown head of the warning's current plan.
    """
    from flows.poll_weather_alerts import poll_weather_alerts
    from flows.storm_response import storm_response
    from gridflow.replay import ReplayServer
    from gridflow.replay.nws import serve_nws, texas_storm_scenario
    from gridflow.storm.response import plan_markdown
    from gridflow.warehouse import alerts
    from gridflow.warehouse.storm import read_plan
    from tasks.common import warehouse

    on_stack = worker_ready()
    chain_id = None
    with ReplayServer() as server:
        nws = serve_nws(server, texas_storm_scenario())
        for step in ("alert", "update"):
            if step == "update":
                nws.advance()  # the same list again: nothing new to announce
                nws.advance()
            since = datetime.now(UTC)
            summary = poll_weather_alerts(base_url=server.base_url)
            echo(f"    NWS poll ({step}): {_describe_poll(summary)}")
            announced = _announced_ids(summary)
            for alert_id in announced:
                if on_stack:
                    run = wait_triggered_run(STORM_DEPLOYMENT, since)
                    state = run.state.name if run is not None else "not started in time"
                    echo(f"    event -> deployment trigger -> {STORM_DEPLOYMENT} run {run.name if run else ''}: "
                         f"{state}")
                else:
                    result = storm_response(alert_id)
                    echo(f"    storm-response (in-process, no worker running): {result['action']} - "
                         f"{result['reason']}")
                with warehouse().connect() as conn:
                    stored = alerts.get_alert(conn, alert_id)
                    chain_id = stored.chain_id if stored is not None else chain_id
    if chain_id is None:
        with warehouse().connect() as conn:
            from gridflow.replay.nws import SVR_ALERT_ID

            stored = alerts.get_alert(conn, SVR_ALERT_ID)
            chain_id = stored.chain_id if stored is not None else None
    if chain_id is None:
        return None
    with warehouse().connect() as conn:
        found = read_plan(conn, chain_id)
    return None if found is None else plan_markdown(*found, head=5)


def _announced_ids(summary: Any) -> list[str]:
    return [c.alert_id for c in summary.changes]


def _describe_poll(summary: Any) -> str:
    if not summary.changes:
        return f"nothing new ({summary.describe()})"
    return "; ".join(f"{c.kind}: {c.event} v{c.chain_version}" for c in summary.changes)
