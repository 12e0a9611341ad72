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
