"""The operator's answer on top of the gate: it can stop a promotion, never force one."""

from __future__ import annotations

import pytest

from gridflow.registry.approval import Approval, apply_approval
from gridflow.registry.gate import GateDecision

PASSED = GateDecision(True, "mape", 6.0, 6.5, 9.0, "3", "2", "challenger mape 6 vs champion 6.5")
REFUSED = GateDecision(False, "mape", 7.0, 6.5, 9.0, "3", "2", "short of the required 1.00%")


def approval(outcome: str, comment: str = "ok") -> Approval:
    return Approval(outcome, "alice", comment, "2026-11-23T12:00:00+00:00")


def test_no_approval_needed_leaves_the_decision_alone():
    assert apply_approval(PASSED, None) is PASSED


def test_approval_keeps_the_promotion_and_says_who():
    out = apply_approval(PASSED, approval("approved", "backtest fine"))
    assert out.promote and out.reason.endswith("approved by alice: backtest fine")


@pytest.mark.parametrize(("outcome", "text"), [("rejected", "alice rejected it: no"),
                                               ("timed_out", "no operator approved it in time")])
def test_rejection_or_silence_stops_the_promotion(outcome, text):
    out = apply_approval(PASSED, approval(outcome, "no"))
    assert not out.promote and out.action == "reject" and text in out.reason
    assert out.challenger_version == "3" and out.metric == "mape"


def test_an_approval_never_promotes_what_the_gate_refused():
    assert apply_approval(REFUSED, approval("approved")) is REFUSED


def test_unknown_outcome_is_refused():
    with pytest.raises(ValueError, match="approval outcome"):
        approval("maybe")


def test_tags_record_the_answer():
    assert approval("rejected", "peaks off").tags()["approval.comment"] == "peaks off"
