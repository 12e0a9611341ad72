"""`gridflow storm ...`: the storm-response data (asset inventory, storm history) and plans.

Heavy libraries are imported inside commands so `gridflow --help` stays fast.
"""

from __future__ import annotations

import time
from typing import Annotated

import typer

storm_app = typer.Typer(no_args_is_help=True, help="Storm response: asset inventory, storm history, crew plans.")


@storm_app.command("seed")
def seed(
    assets: Annotated[int, typer.Option("--assets", min=1, help="assets in the sample inventory")] = 200_000,
    storms: Annotated[int, typer.Option("--storms", min=1, help="past storms in the generated history")] = 40,
    seed_: Annotated[int, typer.Option("--seed", help="random seed: same seed, same data")] = 0,
) -> None:
    """Write a generated sample inventory and storm history to the configured warehouse.

    Both generators are documented in gridflow.storm.inventory and gridflow.storm.history (what
    is real, what is synthetic, and the hazard failures are drawn from). Idempotent: the same
    arguments again rewrite the same rows.
    """
    from gridflow.config import get_settings
    from gridflow.storm.history import generate_storm_history
    from gridflow.storm.inventory import generate_inventory
    from gridflow.warehouse.engine import make_engine, upgrade
    from gridflow.warehouse.storm import write_assets, write_storm_outcomes

    settings = get_settings()
    settings.home.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    inventory = generate_inventory(assets, seed=seed_)
    history = generate_storm_history(inventory, n_storms=storms, seed=seed_)
    engine = make_engine(settings.warehouse_url)
    try:
        upgrade(engine)
        with engine.begin() as conn:
            written_assets = write_assets(conn, inventory)
            written_outcomes = write_storm_outcomes(conn, history)
    finally:
        engine.dispose()
    failed = int(history["failed"].sum())
    typer.echo(
        f"seeded {written_assets:,} assets in {inventory['county_fips'].nunique()} counties and "
        f"{inventory['service_center'].nunique()} service centers, {history['storm_id'].nunique()} storms "
        f"({written_outcomes:,} asset outcomes, {failed:,} failures, "
        f"{failed / max(len(history), 1):.1%}) in {time.perf_counter() - started:.1f} s"
    )
    typer.echo("next: gridflow retrain outage_risk")


@storm_app.command("plan")
def plan(
    alert_id: Annotated[str, typer.Argument(help="NWS alert message id (urn:oid:...) or its chain id")],
    head: Annotated[int | None, typer.Option("--head", min=1, help="show only the first N service centers")] = None,
) -> None:
    """Print the crew staging plan of a weather alert: the warning's active plan, else its latest."""
    from gridflow.config import get_settings
    from gridflow.storm.response import plan_markdown
    from gridflow.warehouse.alerts import get_alert
    from gridflow.warehouse.engine import make_engine, upgrade
    from gridflow.warehouse.storm import list_plans, read_plan

    engine = make_engine(get_settings().warehouse_url)
    try:
        upgrade(engine)
        with engine.connect() as conn:
            message = get_alert(conn, alert_id)
            chain_id = message.chain_id if message is not None else alert_id
            found = read_plan(conn, chain_id)
            if found is not None and found[0]["chain_id"] != chain_id:
                # Asked by a message id of a plan whose alert row is gone: show its warning's plan.
                chain_id = found[0]["chain_id"]
                found = read_plan(conn, chain_id)
            history = list_plans(conn, chain_id)
    finally:
        engine.dispose()
    if found is None:
        typer.secho(f"error: no crew plan for {alert_id}", fg=typer.colors.RED, err=True)
        raise typer.Exit(code=1)
    typer.echo(plan_markdown(*found, head=head))
    if len(history) > 1:
        typer.echo("history: " + " -> ".join(f"plan {p['id']} v{p['alert_version']} {p['status']}" for p in history))
