"""How a failed command looks: one `error:` line for any gridflow error, and Prefect's console without
tracebacks while every other handler still gets the full record."""

from __future__ import annotations

import io
import logging
import sys

import pytest
import typer

from gridflow.errors import ConfigError, SourceUnreachable
from gridflow_cli.console import WithoutTraceback
from gridflow_cli.shell import GridflowApp, error_line


def _record_with_traceback() -> logging.LogRecord:
    try:
        raise SourceUnreachable("PJM Data Miner API", "https://api.pjm.com:443/api/v1/feed", "connection refused")
    except SourceUnreachable:
        return logging.getLogger("prefect.task_runs").makeRecord(
            "prefect.task_runs", logging.ERROR, __file__, 1, "Task run failed with exception: %r", ("boom",),
            sys.exc_info(), extra={"task_run_name": "ingest-pjm-chunk", "task_run_id": "0"})


def test_console_formatter_drops_the_traceback_but_the_other_handlers_keep_it():
    record = _record_with_traceback()
    console = WithoutTraceback(logging.Formatter("%(levelname)s | %(message)s"))
    api = logging.Formatter("%(message)s")  # as Prefect's API log handler formats
    assert console.format(record) == "ERROR | Task run failed with exception: 'boom'"
    shipped = api.format(record)
    assert "Traceback (most recent call last)" in shipped and "SourceUnreachable" in shipped
    # Either order: the console never strips the record the API handler reads.
    assert console.format(record) == "ERROR | Task run failed with exception: 'boom'"
    assert record.exc_info is not None


def test_console_formatter_passes_plain_records_through():
    record = logging.makeLogRecord({"msg": "Finished in state Completed()", "levelname": "INFO"})
    assert WithoutTraceback(logging.Formatter("%(levelname)s %(message)s")).format(record) == \
        "INFO Finished in state Completed()"


def test_prefect_console_handler_is_wrapped_and_the_api_handler_is_not():
    from prefect.logging.handlers import APILogHandler, PrefectConsoleHandler

    from gridflow_cli.console import quiet_console_tracebacks

    quiet_console_tracebacks()
    handlers = {h for name in ("", "prefect.flow_runs", "prefect.task_runs") for h in logging.getLogger(name).handlers}
    consoles = [h for h in handlers if isinstance(h, PrefectConsoleHandler)]
    try:
        assert consoles and all(isinstance(h.formatter, WithoutTraceback) for h in consoles)
        assert all(not isinstance(h.formatter, WithoutTraceback) for h in handlers if isinstance(h, APILogHandler))
        assert quiet_console_tracebacks() == 0  # idempotent: a second bootstrap wraps nothing twice
        stream = io.StringIO()
        console = consoles[0]
        original, console.stream, console.console.file = console.stream, stream, stream
        try:
            console.emit(_record_with_traceback())
        finally:
            console.stream, console.console.file = original, original
        assert "Task run failed" in stream.getvalue() and "Traceback" not in stream.getvalue()
    finally:  # the rest of the test session keeps Prefect's own console
        for handler in consoles:
            if isinstance(handler.formatter, WithoutTraceback):
                handler.setFormatter(handler.formatter.inner)


def test_a_gridflow_error_escaping_a_command_is_one_error_line(capsys, monkeypatch):
    from gridflow_cli import shell

    # Running as the command line quietens Prefect's console in bootstrap; not for the rest of this session.
    monkeypatch.setitem(shell._COMMAND_LINE, "quiet_console", False)
    app = GridflowApp()

    @app.command()
    def start():
        raise ConfigError("port 4200 on 127.0.0.1 is taken by something\nthat is not a Prefect server")

    @app.command()
    def other():
        typer.echo("fine")

    with pytest.raises(SystemExit) as info:
        app(["start"], prog_name="gridflow")
    assert info.value.code == 1
    err = capsys.readouterr().err
    assert err == "error: port 4200 on 127.0.0.1 is taken by something that is not a Prefect server\n"
    assert shell._COMMAND_LINE["quiet_console"] is True


def test_error_line_is_one_line():
    assert error_line(ValueError("a\n  b\tc")) == "error: a b c"
