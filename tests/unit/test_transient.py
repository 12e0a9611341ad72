"""Only connection-type failures are retried; bad data never is."""

from __future__ import annotations

import pytest
import sqlalchemy.exc

from gridflow.errors import ParseError, ValidationFailed
from gridflow.transient import is_transient


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (sqlalchemy.exc.OperationalError("SELECT 1", {}, Exception("database is locked")), True),
        (ConnectionResetError(), True),
        (TimeoutError(), True),
        (ParseError("f.csv", "bad header"), False),
        (ValidationFailed("pjm_load", [{"expectation": "x"}]), False),
        (ValueError("nope"), False),
        (None, False),
    ],
)
def test_is_transient(exc, expected):
    assert is_transient(exc) is expected
