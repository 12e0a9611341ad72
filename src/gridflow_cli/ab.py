"""`gridflow ab ...`: the scoring API's shadow and A/B experiments, compared on actuals and settled
through the promotion gate.

Heavy libraries are imported inside commands so `gridflow --help` stays fast.
"""

from __future__ import annotations

from typing import Annotated

import typer

ab_app = typer.Typer(no_args_is_help=True,
                     help="Shadow and A/B experiments: compare champion and challenger on actuals, then settle.")


@ab_app.command("report")
def report(
    model: Annotated[str, typer.Argument(help="use case / registered model name, e.g. transformer_health")],
    since: Annotated[str | None, typer.Option(help="only rows logged from this ISO date or instant (UTC)")] = None,
    apply: Annotated[bool, typer.Option("--apply", help="settle the recommendation through the gate: move "
                                                        "`champion` on a promote, audit either way")] = False,
    alpha: Annotated[float | None, typer.Option(help="significance level (default: the traffic rule's)")] = None,
    min_rows: Annotated[int | None, typer.Option(help="rows with actuals needed per arm (default: the rule's)")] = None,
    actor: Annotated[str | None, typer.Option(help="who applies it (default: $USER)")] = None,
) -> None:
    """Compare the arms' logged answers on actuals and recommend promote or keep. A dry run unless
    --apply, which runs the `ab-report` flow (operator approval included when the model requires it)."""
    import getpass

    from gridflow.errors import GridflowError
    from gridflow.experiments.report import text_lines
    from gridflow_cli.shell import bootstrap, fail

    try:
        if not apply:
            # Read-only: no flow run and no Prefect server needed to look.
            from gridflow.experiments.data import evaluate
            from gridflow.runtime import warehouse

            comparison = evaluate(warehouse(), model, since, alpha=alpha, min_rows=min_rows)
            lines = text_lines(comparison)
        else:
            bootstrap()
            from flows.ab_report import ab_report

            result = ab_report(model=model, since=since, apply=True, actor=actor or getpass.getuser(),
                               alpha=alpha, min_rows=min_rows)
            lines = text_lines(result.comparison, result.move, applied=True)
    except GridflowError as exc:
        fail(exc)
    for line in lines:
        typer.echo(line)
