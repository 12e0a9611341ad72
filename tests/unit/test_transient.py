"""Only connection-type failures are retried; bad data never is."""

from __future__ import annotations

import pytest
import sqlalchemy.exc

from gridflow.errors import ParseError, SourceUnreachable, ValidationFailed
from gridflow.transient import is_transient


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (sqlalchemy.exc.OperationalError("SELECT 1", {}, Exception("database is locked")), True),
        (ConnectionResetError(), True),
        (TimeoutError(), True),
        # A gridflow error, but the source may answer on the next try.
        (SourceUnreachable("ERCOT MIS", "https://www.ercot.com:443/misapp/x", "connection refused"), True),
        (ParseError("f.csv", "bad header"), False),
        (ValidationFailed("pjm_load", [{"expectation": "x"}]), False),
        (ValueError("nope"), False),
        (None, False),
    ],
)
def test_is_transient(exc, expected):
    assert is_transient(exc) is expected
