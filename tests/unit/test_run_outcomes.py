"""The final state name says what a retrain or a drift check decided."""

from __future__ import annotations

import pytest

from gridflow.run_outcomes import MESSAGE_LIMIT, drift_state_name, retrain_state_name, state_message


@pytest.mark.parametrize(("gate_passed", "recorded", "name"), [
    (True, "promote", "Promoted"),
    (True, "reject", "Kept"),  # passed the gate, but the operator said no, or approval timed out
    (False, "reject", "Rejected"),
])
def test_retrain_state_name(gate_passed, recorded, name):
    assert retrain_state_name(gate_passed, recorded) == name


@pytest.mark.parametrize(("action", "name"), [("retrain", "Retrain"), ("warn", "Warn"), ("ok", "OK")])
def test_drift_state_name(action, name):
    assert drift_state_name(action) == name


def test_an_unknown_monitor_action_is_refused():
    with pytest.raises(ValueError, match="unknown monitor action 'panic'"):
        drift_state_name("panic")


def test_state_message_keeps_short_reasons_and_cuts_long_ones():
    assert state_message("champion stays") == "champion stays"
    long = state_message("x" * 1000)
    assert len(long) == MESSAGE_LIMIT and long.endswith("…")
