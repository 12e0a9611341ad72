"""Domain errors survive pickling: Prefect stores a failed run's exception that way, and the CLI,
the demo and an operator's tools read it back from another process."""

from __future__ import annotations

import pickle

import pytest

from gridflow.errors import FleetFailed, GridflowError, ParseError, ValidationFailed

ERRORS = [
    ValidationFailed("pjm_load", [{"expectation": "expect_column_values_to_be_between"}], ledger_id=7),
    ParseError("meters/a.csv", "line 12: reading 'n/a' is not a number"),
    FleetFailed("load_forecast", {"load_forecast.DOM": "no data"}, 1),
    GridflowError("plain message"),
]


@pytest.mark.parametrize("error", ERRORS, ids=lambda e: type(e).__name__)
def test_a_domain_error_round_trips_through_pickle_with_its_message_and_attributes(error):
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error)
    assert str(copy) == str(error)
    assert copy.__dict__ == error.__dict__
