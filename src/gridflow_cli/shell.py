"""What every command shares: the Prefect set-up before Prefect is imported, and the one way a
command fails (a red `error:` line and exit code 1, never a traceback for a known error)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, NoReturn

import typer

from gridflow.config import Settings, get_settings
from gridflow.errors import GridflowError
from gridflow.services.prefect_server import LocalPrefectServer

if TYPE_CHECKING:
    from gridflow.training.results import RetrainResult


def fail(exc: Exception) -> NoReturn:
    """Print `error: <exc>` on stderr and exit 1."""
    typer.secho(error_line(exc), fg=typer.colors.RED, err=True)
    raise typer.Exit(code=1)


def error_line(exc: BaseException) -> str:
    """`error: <exc>` on one line, whatever line breaks the message holds."""
    return "error: " + " ".join(str(exc).split())


# Set when `gridflow` runs as the command line (not under a test runner's CliRunner): only then is
# Prefect's console quietened, so in-process tests keep their tracebacks.
_COMMAND_LINE = {"quiet_console": False}


class GridflowApp(typer.Typer):
    """A Typer app whose commands end in one `error:` line (exit 1) for any gridflow error they
    do not handle themselves (a source that cannot be reached, a port that is taken)."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Run the command line; a `GridflowError` escaping a command becomes `fail`'s line."""
        _COMMAND_LINE["quiet_console"] = True
        try:
            return super().__call__(*args, **kwargs)
        except GridflowError as exc:
            typer.secho(error_line(exc), fg=typer.colors.RED, err=True)
            sys.exit(1)


def local_server(settings: Settings) -> LocalPrefectServer:
    """The local Prefect server of this gridflow home."""
    return LocalPrefectServer(home=settings.prefect_home, port=settings.prefect_port)


def bootstrap() -> Settings:
    """Create the data folder, make sure a Prefect API is reachable and point this process at it."""
    from gridflow.prefect_env import configure_prefect
    from gridflow.services import prefect_server
    from gridflow_cli.console import quiet_console_tracebacks

    settings = get_settings()
    settings.home.mkdir(parents=True, exist_ok=True)
    if settings.prefect_api_url:
        configure_prefect(settings, settings.prefect_api_url)
    else:
        server = local_server(settings)
        try:
            if prefect_server.ensure_running(server):
                typer.echo(f"started the local Prefect server at {server.ui_url} (log: {server.log_file})")
        except GridflowError as exc:  # the port is taken, the server would not start
            fail(exc)
        configure_prefect(settings, server.api_url)
    if _COMMAND_LINE["quiet_console"]:
        # Runs log to the console without tracebacks: the command's own `error:` line says what
        # failed, and the full traceback is in the run's logs in the Prefect UI.
        quiet_console_tracebacks()
    return settings


def print_decision(result: RetrainResult) -> None:
    """The retrain's metrics table (challenger, champion, baseline) and the gate's decision."""
    from gridflow.training.report import decision_summary
    from gridflow.usecases.catalog import get_use_case

    typer.echo("")
    for line in decision_summary(result, get_use_case(result.model)):
        typer.echo(line)


@contextmanager
def settings_overridden(values: dict[str, str]) -> Iterator[None]:
    """These GRIDFLOW_* variables for the block only (a demo step's own knobs), then the previous ones."""
    from gridflow.config import reset_settings

    before = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    reset_settings()
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        reset_settings()
