"""The CLI's console shows run log lines without tracebacks: a failed command ends in one `error:`
line, and the traceback stays in the run's logs on the Prefect server (the API log handler)."""

from __future__ import annotations

import copy
import logging


class WithoutTraceback(logging.Formatter):
    """Formats a record as `inner` would, minus its exception and stack text (the record is not touched)."""

    def __init__(self, inner: logging.Formatter) -> None:
        super().__init__()
        self.inner = inner

    def format(self, record: logging.LogRecord) -> str:
        """The record's line(s) without the traceback; other handlers still get the full record."""
        if not (record.exc_info or record.exc_text or record.stack_info):
            return self.inner.format(record)
        # A copy: the API handler formats the same record object and must keep the traceback.
        quiet = copy.copy(record)
        quiet.exc_info, quiet.exc_text, quiet.stack_info = None, None, None
        return self.inner.format(quiet)


def quiet_console_tracebacks() -> int:
    """Wrap the formatter of Prefect's console handlers in this process; returns how many were wrapped.

    Call after the Prefect environment is exported: it imports Prefect, which sets up its logging.
    """
    import prefect.main  # noqa: F401 - importing it runs Prefect's logging set-up
    from prefect.logging.handlers import PrefectConsoleHandler

    loggers = [logging.getLogger(), *(logger for logger in list(logging.root.manager.loggerDict.values())
                                      if isinstance(logger, logging.Logger))]
    wrapped = 0
    for handler in {h for logger in loggers for h in logger.handlers}:
        if isinstance(handler, PrefectConsoleHandler) and not isinstance(handler.formatter, WithoutTraceback):
            handler.setFormatter(WithoutTraceback(handler.formatter or logging.Formatter()))
            wrapped += 1
    return wrapped
