"""Which failures are worth retrying: network and database hiccups, never bad data."""

from __future__ import annotations

from gridflow.errors import GridflowError, SourceUnreachable

_TRANSIENT_NAMES = {
    "OperationalError",  # sqlalchemy: connection lost, database locked
    "DisconnectionError",
    "ConnectError",  # httpx
    "ConnectTimeout",
    "ReadTimeout",
    "RemoteProtocolError",
    "ConnectionError",
    "ConnectionResetError",
    "TimeoutError",
}


def is_transient(exc: BaseException | None) -> bool:
    """True for connection and timeout errors (`SourceUnreachable` too); False for domain errors such as bad input."""
    if isinstance(exc, SourceUnreachable):
        return True
    if exc is None or isinstance(exc, GridflowError):
        return False
    return any(cls.__name__ in _TRANSIENT_NAMES for cls in type(exc).__mro__)
