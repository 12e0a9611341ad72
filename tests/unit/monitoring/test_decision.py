"""The retrain decision as a table of cases."""

from __future__ import annotations

from dataclasses import replace

import pytest

from gridflow.monitoring.decision import MonitorInputs, MonitorPolicy, decide

POLICY = MonitorPolicy()
HEALTHY = MonitorInputs(
    has_champion=True, drift_share=0.05, drifted_features=[], metric="mape", current_error=6.0,
    reference_error=6.2, new_rows=2000, champion_age_days=30.0, hours_since_last_trigger=None,
)
DRIFTED = replace(HEALTHY, drift_share=0.6, drifted_features=["lag_2d", "lag_7d", "week_mean"])


@pytest.mark.parametrize(
    ("inputs", "action", "words"),
    [
        pytest.param(HEALTHY, "ok", "within limits", id="healthy"),
        pytest.param(replace(HEALTHY, has_champion=False), "warn", "no champion", id="no-champion"),
        pytest.param(DRIFTED, "retrain", "drift share 60% >= 50% (lag_2d, lag_7d, week_mean)", id="drifted"),
        pytest.param(replace(DRIFTED, new_rows=100), "warn", "only 100 new rows", id="too-little-data"),
        pytest.param(replace(DRIFTED, hours_since_last_trigger=3.0), "warn", "cool-down", id="cool-down"),
        pytest.param(replace(DRIFTED, retrain_running=True), "warn", "already running", id="retrain-running"),
        pytest.param(replace(HEALTHY, drift_share=0.05, drifted_features=["hour"]), "ok", "drift share 5%",
                     id="only-one-feature-drifted"),
        pytest.param(replace(HEALTHY, drift_share=0.3), "warn", "past the warning level", id="warn-level"),
        pytest.param(replace(HEALTHY, current_error=8.0), "retrain", "+29% against the champion's backtest",
                     id="accuracy-degraded-without-drift"),
        pytest.param(replace(DRIFTED, champion_age_days=2.0), "warn", "2.0 days old", id="young-model-drift-only"),
        pytest.param(replace(HEALTHY, champion_age_days=2.0, current_error=8.0), "retrain", "+29%",
                     id="young-model-but-accuracy-degraded"),
        pytest.param(replace(HEALTHY, drift_share=None, current_error=None), "ok", "no drift measured",
                     id="nothing-measured"),
    ],
)
def test_decision_cases(inputs, action, words):
    decision = decide(inputs, POLICY)
    assert decision.action == action, decision.reason
    assert words in decision.reason


def test_no_champion_is_its_own_verdict():
    from gridflow.monitoring.decision import no_champion

    verdict = no_champion()
    assert verdict.action == "warn" and "run the retrain flow" in verdict.reason
    assert decide(replace(HEALTHY, has_champion=False), POLICY) == verdict
