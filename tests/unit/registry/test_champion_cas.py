"""The compare of the promotion's compare-and-set (pure): a pass stands only against the champion
the challenger was evaluated with."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gridflow.registry.gate import GateDecision, GateThresholds, confirm_champion, decide_promotion

GATE = GateThresholds(metric="mape", min_relative_improvement=0.01)


def passed(challenger: str = "6", evaluated_against: str | None = "1") -> GateDecision:
    decision = decide_promotion(GATE, 3.0, 10.0, None if evaluated_against is None else 4.0,
                                challenger, evaluated_against)
    assert decision.promote
    return decision


def test_a_pass_stands_while_the_champion_is_the_one_it_was_compared_with():
    decision = passed()
    assert confirm_champion(decision, "1") is decision
    # MLflow gives a version as an int in some APIs.
    assert confirm_champion(decision, 1) is decision  # type: ignore[arg-type]


def test_a_pass_after_the_champion_moved_becomes_a_rejection_that_says_so():
    # The run: both challengers compared with v1; v5 was promoted first.
    moved = confirm_champion(passed("6", "1"), "5")
    assert (moved.promote, moved.action) == (False, "reject")
    assert moved.reason.startswith("champion moved from v1 to v5 since evaluation")
    assert "v6 was compared with v1 only" in moved.reason
    # Everything but the verdict is the gate's: the numbers stay those it was based on.
    assert (moved.challenger, moved.champion, moved.challenger_version, moved.champion_version) == (3.0, 4.0, "6", "1")


@pytest.mark.parametrize(("evaluated", "current", "says"), [
    (None, "5", "from none to v5"),  # a first champion appeared during the run
    ("1", None, "from v1 to none"),  # the champion alias was removed
])
def test_a_champion_appearing_or_vanishing_also_counts_as_moved(evaluated, current, says):
    moved = confirm_champion(passed("6", evaluated), current)
    assert not moved.promote
    assert says in moved.reason


def test_a_retried_move_that_already_happened_stands():
    decision = passed("6", "1")
    assert confirm_champion(decision, "6") is decision


def test_a_rejection_is_left_as_it_is_whatever_the_champion():
    rejected = decide_promotion(GATE, 3.99, 10.0, 4.0, "6", "1")
    assert not rejected.promote
    assert confirm_champion(rejected, "5") is rejected
    assert confirm_champion(rejected, None) is rejected


versions = st.none() | st.integers(min_value=1, max_value=20).map(str)


@given(evaluated=versions, current=versions, challenger=st.integers(min_value=1, max_value=20).map(str))
def test_a_promotion_only_ever_moves_from_the_champion_it_was_compared_with(evaluated, current, challenger):
    decision = decide_promotion(GATE, 3.0, 10.0, None if evaluated is None else 4.0, challenger, evaluated)
    assert decision.promote
    settled = confirm_champion(decision, current)
    assert settled.promote == (current in (evaluated, challenger))
    if not settled.promote:
        assert "champion moved" in settled.reason
