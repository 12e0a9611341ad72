"""When is the flow run attempt that opened a ledger row over (so its row may be closed)?"""

from __future__ import annotations

import pytest

from gridflow.run_attempts import RunAttempt, attempt_over, current_attempt

ATTEMPT = RunAttempt("7c1e9a52-0f3b-4c1d-9a55-2b1e8f0d6a11", 2)


@pytest.mark.parametrize(("state_type", "state_name", "run_count", "why"), [
    ("RUNNING", "Running", 2, None),
    ("PAUSED", "Suspended", 2, None),  # waiting for an approval, not dead
    ("CANCELLING", "Cancelling", 2, None),
    ("CRASHED", "Crashed", 2, "ended Crashed"),
    ("FAILED", "TimedOut", 2, "ended TimedOut"),
    ("COMPLETED", "Completed", 2, "ended Completed"),
    ("SCHEDULED", "AwaitingRetry", 2, "ended AwaitingRetry"),  # retried, not started again yet
    ("RUNNING", "Running", 3, "was retried (now attempt 3)"),  # the Retry runs; attempt 2 is over
    (None, None, None, "no longer exists"),  # the run was deleted
])
def test_attempt_over(state_type, state_name, run_count, why):
    assert attempt_over(ATTEMPT, state_type, state_name, run_count) == why


def test_no_attempt_outside_a_flow_run():
    assert current_attempt() is None


def test_an_attempt_round_trips_through_json():
    assert RunAttempt.from_json(ATTEMPT.as_json()) == ATTEMPT
    assert RunAttempt.from_json(None) is None and RunAttempt.from_json({"issues": []}) is None

