"""`gridflow fleet ...`: the per-zone models of a use case (`load_forecast.<zone>`): retrain them all
(or some) through their own gates, and migrate from one model for every zone.

Heavy libraries are imported inside commands so `gridflow --help` stays fast.
"""

from __future__ import annotations

from typing import Annotated

import typer

fleet_app = typer.Typer(no_args_is_help=True, help="A model per zone: retrain the fleet, migrate to it.")


@fleet_app.command("retrain")
def retrain(
    use_case: Annotated[str, typer.Argument(help="a use case with zones, e.g. load_forecast")] = "load_forecast",
    zone: Annotated[list[str] | None, typer.Option("--zone", help="only this zone (repeatable); default: all "
                                                                  "configured zones")] = None,
    trigger: Annotated[str, typer.Option(help="why this retrain runs (recorded)")] = "manual (CLI)",
) -> None:
    """Retrain every zone's model (`<use case>.<zone>`) through its own gate, fanned out on
    GRIDFLOW_TASK_RUNNER; prints one line per zone and fails naming the zones that failed."""
    from gridflow.errors import GridflowError
    from gridflow_cli.shell import bootstrap, fail

    bootstrap()
    from flows.retrain_fleet import retrain_fleet

    try:
        outcomes = retrain_fleet(use_case=use_case, zones=zone or None, trigger=trigger)
    except GridflowError as exc:  # names every failed zone; the fleet report artifact has the rest
        fail(exc)
    for o in outcomes:
        typer.echo(f"{o.model}: v{o.version} {o.action} - {o.reason}")


@fleet_app.command("migrate")
def migrate(
    use_case: Annotated[str, typer.Argument(help="a use case with zones, e.g. load_forecast")] = "load_forecast",
    zone: Annotated[list[str] | None, typer.Option("--zone", help="only this zone (repeatable); default: all "
                                                                  "configured zones")] = None,
    actor: Annotated[str | None, typer.Option(help="who (default: $USER)")] = None,
) -> None:
    """Give each zone its own registered model, starting from a copy of the use case's champion (audited);
    then set GRIDFLOW_<USE_CASE>__MODEL_PER_ZONE=true. Zones that already have a champion are left alone."""
    import getpass

    from gridflow.errors import GridflowError
    from gridflow.fleet.migrate import seed_zone_models
    from gridflow.fleet.plan import plan_fleet
    from gridflow.runtime import warehouse
    from gridflow_cli.shell import fail

    try:
        plan = plan_fleet(use_case, zone or None)
        seeds = seed_zone_models(warehouse(), use_case, plan.zones, actor=actor or getpass.getuser())
    except GridflowError as exc:
        fail(exc)
    for seed in seeds:
        if seed.copied_from is None:
            typer.echo(f"{seed.model}: already has champion v{seed.version}; left alone")
        else:
            typer.echo(f"{seed.model}: champion v{seed.version}, a copy of {seed.copied_from} "
                       f"(audit row {seed.audit_id})")
    typer.echo(f"now set GRIDFLOW_{use_case.upper()}__MODEL_PER_ZONE=true: the daily issue and the monitor "
               f"then use each zone's model")
