"""Arm choice (pure): a stable hash of (model, key), sticky across calls and processes, whose share
converges on the configured one; one key per request, one plan per request."""

from __future__ import annotations

import math
import os
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gridflow.serving import traffic
from gridflow.serving.holder import Served
from gridflow.usecases.configs import TrafficRule

CHAMPION = Served("m", "1", model="v1", input_types={"x": "double"})
CHALLENGER = Served("m", "2", model="v2", input_types={"x": "double"})


def test_bucket_is_sha256_of_model_and_key_not_pythons_salted_hash():
    code = "from gridflow.serving.traffic import bucket; print(repr(bucket('transformer_health', 'R-17')))"
    seen = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={**os.environ, "PYTHONHASHSEED": seed}).stdout.strip() for seed in ("1", "2")}
    assert seen == {repr(traffic.bucket("transformer_health", "R-17"))}
    assert 0 <= traffic.bucket("m", "k") < 1
    assert traffic.bucket("m", "k") != traffic.bucket("other", "k")  # each model splits its keys afresh


@settings(max_examples=200, deadline=None)
@given(model=st.text(min_size=1, max_size=20), key=st.text(min_size=1, max_size=40),
       share=st.floats(min_value=0.01, max_value=0.99))
def test_assignment_is_sticky(model, key, share):
    rule = TrafficRule(mode="ab", share=share)
    first = traffic.choose_arm(rule, model, key)
    assert all(traffic.choose_arm(rule, model, key) == first for _ in range(3))
    # A larger share only ever moves keys to the challenger, never back: raising it keeps stickiness.
    if first == traffic.CHALLENGER:
        assert traffic.choose_arm(TrafficRule(mode="ab", share=min(share + 0.005, 0.999)), model, key) == first


@settings(max_examples=25, deadline=None)
@given(prefix=st.text(min_size=0, max_size=12), share=st.floats(min_value=0.05, max_value=0.95))
def test_the_share_of_keys_converges_on_the_configured_share(prefix, share):
    n = 4000
    rule = TrafficRule(mode="ab", share=share)
    observed = sum(traffic.choose_arm(rule, "transformer_health", f"{prefix}{i}") == traffic.CHALLENGER
                   for i in range(n)) / n
    assert abs(observed - share) < 5 * math.sqrt(share * (1 - share) / n)


def test_no_rule_serve_shadow_or_a_missing_key_keep_the_champion():
    assert traffic.choose_arm(None, "m", "k") == traffic.CHAMPION
    assert traffic.choose_arm(TrafficRule(mode="shadow"), "m", "k") == traffic.CHAMPION
    assert traffic.choose_arm(TrafficRule(mode="ab", share=0.99), "m", None) == traffic.CHAMPION


def test_ab_needs_a_share():
    with pytest.raises(ValueError, match="needs a share"):
        TrafficRule(mode="ab")
    with pytest.raises(ValueError):
        TrafficRule(mode="ab", share=1.0)


def test_the_key_column_is_taken_out_unless_the_model_reads_it():
    rows = [{"reading_id": "R1", "x": 1.0}, {"reading_id": 7, "x": 2.0}, {"x": 3.0}]
    scored, keys = traffic.split_key(rows, "reading_id", {"x": "double"})
    assert scored == [{"x": 1.0}, {"x": 2.0}, {"x": 3.0}] and keys == ["R1", "7", None]
    assert rows[0] == {"reading_id": "R1", "x": 1.0}  # the caller's rows are not changed
    kept, keys = traffic.split_key(rows, "reading_id", {"reading_id": "string", "x": "double"})
    assert kept is rows and keys == ["R1", "7", None]
    unruled, keys = traffic.split_key(rows, None, {"x": "double"})
    assert unruled is rows and keys == [None, None, None]


def test_one_key_per_request_header_first_then_the_first_keyed_row():
    assert traffic.request_key(" A-1 ", ["R1", "R2"]) == "A-1"
    assert traffic.request_key(None, ["R1", "R1"]) == "R1"
    assert traffic.request_key(None, [None, "R2", "R1"]) == "R2"  # mixed keys: the first keyed row decides
    assert traffic.request_key("", [None]) is None


def _key_with(arm: str, share: float) -> str:
    rule = TrafficRule(mode="ab", share=share)
    return next(k for k in (f"k{i}" for i in range(1000)) if traffic.choose_arm(rule, "m", k) == arm)


def test_plans():
    shadow = traffic.plan(TrafficRule(mode="shadow"), "m", None, CHAMPION, CHALLENGER)
    assert (shadow.mode, shadow.arm, shadow.answer, shadow.shadow) == ("shadow", "champion", CHAMPION, CHALLENGER)
    ab = TrafficRule(mode="ab", share=0.5)
    to_challenger = traffic.plan(ab, "m", _key_with("challenger", 0.5), CHAMPION, CHALLENGER)
    assert (to_challenger.mode, to_challenger.arm, to_challenger.answer, to_challenger.shadow) == \
        ("ab", "challenger", CHALLENGER, None)
    to_champion = traffic.plan(ab, "m", _key_with("champion", 0.5), CHAMPION, CHALLENGER)
    assert (to_champion.mode, to_champion.arm, to_champion.answer) == ("ab", "champion", CHAMPION)
    # Without a distinct challenger every rule serves the champion, and says so in the log's `mode`.
    same = Served("m", "1", model="v1")
    for rule, challenger in ((ab, None), (ab, same), (TrafficRule(mode="shadow"), None), (None, CHALLENGER)):
        plan = traffic.plan(rule, "m", "k", CHAMPION, challenger)
        assert (plan.mode, plan.arm, plan.answer, plan.shadow) == ("serve", "champion", CHAMPION, None)
