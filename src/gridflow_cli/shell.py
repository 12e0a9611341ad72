"""What every command shares: the Prefect set-up before Prefect is imported, and the one way a
command fails (a red `error:` line and exit code 1, never a traceback for a known error)."""

from __future__ import annotations

from typing import TYPE_CHECKING, NoReturn

import typer

from gridflow.config import Settings, get_settings
from gridflow.services.prefect_server import LocalPrefectServer

if TYPE_CHECKING:
    from gridflow.training.results import RetrainResult


def fail(exc: Exception) -> NoReturn:
    """Print `error: <exc>` on stderr and exit 1."""
    typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code=1)


def local_server(settings: Settings) -> LocalPrefectServer:
    """The local Prefect server of this gridflow home."""
    return LocalPrefectServer(home=settings.prefect_home, port=settings.prefect_port)


def bootstrap() -> Settings:
    """Create the data folder, make sure a Prefect API is reachable and point this process at it."""
    from gridflow.prefect_env import configure_prefect
    from gridflow.services import prefect_server

    settings = get_settings()
    settings.home.mkdir(parents=True, exist_ok=True)
    if settings.prefect_api_url:
        configure_prefect(settings, settings.prefect_api_url)
        return settings
    server = local_server(settings)
    if prefect_server.ensure_running(server):
        typer.echo(f"started the local Prefect server at {server.ui_url} (log: {server.log_file})")
    configure_prefect(settings, server.api_url)
    return settings


def print_decision(result: RetrainResult) -> None:
    """The retrain's metrics table (challenger, champion, baseline) and the gate's decision."""
    from gridflow.training.report import decision_summary
    from gridflow.usecases.catalog import get_use_case

    typer.echo("")
    for line in decision_summary(result, get_use_case(result.model)):
        typer.echo(line)
