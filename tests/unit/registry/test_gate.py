"""The promotion gate as a table of cases: each decision and the words of its reason."""

from __future__ import annotations

import math

import pytest

from gridflow.registry.gate import GateThresholds, decide_promotion

MAPE = GateThresholds(metric="mape", greater_is_better=False, min_relative_improvement=0.01)
PR_AUC = GateThresholds(metric="pr_auc", greater_is_better=True, min_relative_improvement=0.02)


@pytest.mark.parametrize(
    ("thresholds", "challenger", "baseline", "champion", "promote", "words"),
    [
        pytest.param(MAPE, 5.0, 7.0, None, True, "no champion yet", id="first-model-beats-baseline"),
        pytest.param(MAPE, 7.5, 7.0, None, False, "does not beat the naive baseline", id="first-model-worse-than-naive"),
        pytest.param(MAPE, 4.9, 7.0, 5.0, True, "+2.00% better", id="beats-champion-by-2pct"),
        pytest.param(MAPE, 4.97, 7.0, 5.0, False, "short of the required 1.00%", id="beats-champion-by-too-little"),
        pytest.param(MAPE, 5.0, 7.0, 5.0, False, "champion stays", id="equal-to-champion"),
        pytest.param(MAPE, 8.0, 7.0, 9.0, False, "naive baseline", id="beats-champion-not-baseline"),
        pytest.param(MAPE, math.nan, 7.0, 5.0, False, "not a finite number", id="nan-challenger"),
        pytest.param(MAPE, 5.0, None, None, True, "no champion yet", id="no-baseline-no-champion"),
        pytest.param(PR_AUC, 0.60, 0.10, 0.55, True, "better", id="higher-is-better-promotes"),
        pytest.param(PR_AUC, 0.56, 0.10, 0.55, False, "short of the required 2.00%", id="higher-is-better-too-little"),
        pytest.param(MAPE, 5.0, 7.0, math.inf, True, "not finite", id="broken-champion-replaced"),
    ],
)
def test_gate_cases(thresholds, challenger, baseline, champion, promote, words):
    decision = decide_promotion(thresholds, challenger, baseline, champion, "7", "6" if champion else None)
    assert decision.promote is promote
    assert decision.action == ("promote" if promote else "reject")
    assert words in decision.reason
    assert decision.as_dict()["action"] == decision.action


def test_decision_carries_its_numbers():
    decision = decide_promotion(MAPE, 4.0, 7.0, 5.0, challenger_version="3", champion_version="2")
    assert (decision.challenger, decision.champion, decision.baseline) == (4.0, 5.0, 7.0)
    assert (decision.challenger_version, decision.champion_version) == ("3", "2")
    assert "4 vs champion 5" in decision.reason
