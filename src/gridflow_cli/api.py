"""`gridflow api ...`: run the scoring API (every use case's champion, hot-swapped) and make its keys.

Heavy libraries are imported inside commands so `gridflow --help` stays fast.
"""

from __future__ import annotations

from typing import Annotated

import typer

api_app = typer.Typer(help="The scoring API: POST /models/NAME/predict, GET /forecast/ZONE, /models, /metrics.")


@api_app.callback(invoke_without_command=True)
def api(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
) -> None:
    """Serve the champions over HTTP with uvicorn until interrupted (keys: GRIDFLOW_API__KEYS)."""
    if ctx.invoked_subcommand is not None:
        return
    import uvicorn

    from gridflow.config import get_settings
    from gridflow.prefect_env import configure_prefect
    from gridflow.serving.build import api_config, build_app

    # The stack's Prefect API carries the promotion events the API swaps on; it is not started
    # here: without it the API still follows the aliases by polling.
    configure_prefect(get_settings())
    config = api_config()
    if not config.keys:
        typer.secho("warning: no GRIDFLOW_API__KEYS configured: every scoring request is refused "
                    "(make one with `gridflow api keygen NAME`)", fg=typer.colors.YELLOW, err=True)
    typer.echo(f"scoring API on http://{host}:{port} (docs: /docs)")
    uvicorn.run(build_app(config), host=host, port=port, log_level="info")


@api_app.command("keygen")
def keygen(name: Annotated[str, typer.Argument(help="client name, e.g. scada")]) -> None:
    """Print a new API key for client NAME (shown once) and the hashed setting to configure."""
    from gridflow.serving.auth import config_line, new_key

    key = new_key()
    typer.echo(f"key for {name} (shown once, give it to the client): {key}")
    typer.echo("configure the API with (merge into one JSON object for several clients):")
    typer.echo(config_line(name, key))
