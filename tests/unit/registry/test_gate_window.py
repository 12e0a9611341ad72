"""The gate on a scored window and the operator approval request."""

from __future__ import annotations

from gridflow.registry.approval import Approval, approval_request
from gridflow.registry.gate import GateThresholds, decide_on_window
from gridflow.usecases.base import Evaluation

MAPE = GateThresholds(metric="mape", greater_is_better=False, min_relative_improvement=0.01)


def _evaluation(champion: dict | None, champion_version: str | None, note: str | None = None) -> Evaluation:
    return Evaluation("2015-01-01", "2015-12-31", 100, challenger={"mape": 5.0, "rmse": 1.0},
                      baseline={"mape": 8.0}, champion=champion, champion_version=champion_version,
                      champion_note=note)


def test_window_gate_compares_the_primary_metric():
    decision = decide_on_window(MAPE, _evaluation({"mape": 6.0}, "1"), "2")
    assert decision.promote and decision.champion == 6.0 and decision.challenger_version == "2"
    assert not decide_on_window(MAPE, _evaluation({"mape": 5.01}, "1"), "2").promote


def test_first_model_is_promoted_over_the_baseline():
    decision = decide_on_window(MAPE, _evaluation(None, None), "1")
    assert decision.promote and "no champion yet" in decision.reason


def test_a_champion_that_could_not_be_scored_is_never_replaced_silently():
    decision = decide_on_window(MAPE, _evaluation(None, "3", "champion v3 needs columns this data lacks"), "4")
    assert not decision.promote
    assert decision.champion_version == "3" and decision.champion is None
    assert "could not be scored" in decision.reason and "needs columns" in decision.reason


def test_approval_is_requested_only_for_a_passed_gate_that_needs_it():
    passed = decide_on_window(MAPE, _evaluation(None, None), "7")
    request = approval_request("load_forecast", passed, required=True, timeout_s=60)
    assert request is not None
    assert request.key == "approve-load-forecast-v7" and request.timeout_s == 60
    assert "Promote load_forecast version 7" in request.description
    assert approval_request("load_forecast", passed, required=False, timeout_s=60) is None
    refused = decide_on_window(MAPE, _evaluation({"mape": 4.0}, "6"), "7")
    assert approval_request("load_forecast", refused, required=True, timeout_s=60) is None


def test_answers_and_timeouts_become_approvals():
    assert Approval.answered(True, "  ana ", " ok ").as_dict() | {"decided_at_utc": ""} == {
        "outcome": "approved", "approver": "ana", "comment": "ok", "decided_at_utc": ""}
    assert Approval.answered(False, "", "").approver == "unknown operator"
    timed_out = Approval.timed_out(30)
    assert timed_out.outcome == "timed_out" and not timed_out.approved and "30 s" in timed_out.comment
