"""The crew plan: sums, rounding, priorities and its reason; properties over random inputs."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gridflow.storm.plan import build_crew_plan, crews_for


def _scored(rows: list[tuple[str, str, int, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["asset_id", "service_center", "customers_served", "probability"])


def test_a_small_plan_by_hand():
    scored = _scored([
        ("F1", "Harris North", 2_000, 0.30),
        ("T1", "Harris North", 10, 0.90),
        ("P1", "Harris North", 100, 0.50),
        ("P2", "Galveston", 50, 0.20),
        ("T2", "Galveston", 8, 0.10),
    ])
    plan = build_crew_plan(scored, crews_per_outage=1.0, priority_n=2, context="Hurricane Warning v2")
    north, galveston = plan.lines
    assert north.service_center == "Harris North" and north.assets_in_area == 3
    assert north.expected_outages == pytest.approx(1.7)
    assert north.expected_customers_out == pytest.approx(600 + 9 + 50)
    assert north.crews_needed == 2
    assert [a.asset_id for a in north.priority_assets] == ["F1", "P1"]  # by expected customers out
    assert north.priority_assets[0].expected_customers_out == pytest.approx(600)
    assert galveston.expected_outages == pytest.approx(0.3) and galveston.crews_needed == 1
    assert plan.crews_needed == 3 and plan.assets_scored == 5
    assert plan.reason.startswith("Hurricane Warning v2: 2.0 expected outages")
    assert "stage 3 crews" in plan.reason and "most at Harris North" in plan.reason
    assert plan.as_dict()["lines"][0]["priority_assets"][0]["asset_id"] == "F1"


def test_empty_area_gives_an_empty_plan_with_a_reason():
    plan = build_crew_plan(_scored([]), crews_per_outage=0.25, priority_n=5)
    assert plan.lines == () and plan.crews_needed == 0 and plan.expected_outages == 0
    assert "no assets" in plan.reason


def test_rounding_is_up_but_not_from_floating_point_dust():
    assert crews_for(0.0, 0.25) == 0
    assert crews_for(0.01, 0.25) == 1
    assert crews_for(30.0, 0.1) == 3  # 3.0000000000000004 in floating point
    assert crews_for(12.0, 0.25) == 3 and crews_for(12.1, 0.25) == 4


def test_bad_inputs_are_refused():
    good = _scored([("A", "X", 1, 0.5)])
    with pytest.raises(ValueError):
        build_crew_plan(good, crews_per_outage=0, priority_n=1)
    with pytest.raises(ValueError):
        build_crew_plan(good, crews_per_outage=1, priority_n=-1)
    with pytest.raises(ValueError):
        build_crew_plan(good.assign(probability=1.5), crews_per_outage=1, priority_n=1)
    with pytest.raises(ValueError):
        build_crew_plan(good.drop(columns="customers_served"), crews_per_outage=1, priority_n=1)


frames = st.lists(
    st.tuples(st.sampled_from(["A", "B", "C", "D"]), st.integers(1, 5_000), st.floats(0, 1)),
    min_size=0, max_size=60,
).map(lambda rows: _scored([(f"a{i}", c, n, p) for i, (c, n, p) in enumerate(rows)]))


@settings(max_examples=150, deadline=None)
@given(scored=frames, rate=st.floats(0.01, 3.0), priority_n=st.integers(0, 8))
def test_totals_are_the_sums_of_the_lines(scored, rate, priority_n):
    plan = build_crew_plan(scored, rate, priority_n)
    assert plan.assets_scored == len(scored) == sum(line.assets_in_area for line in plan.lines)
    assert plan.crews_needed == sum(line.crews_needed for line in plan.lines)
    assert plan.expected_outages == pytest.approx(scored["probability"].sum(), abs=1e-9)
    expected_customers = (scored["probability"] * scored["customers_served"]).sum()
    assert plan.expected_customers_out == pytest.approx(expected_customers, rel=1e-9, abs=1e-9)
    assert {line.service_center for line in plan.lines} == set(scored["service_center"])
    for line in plan.lines:
        assert line.crews_needed == crews_for(line.expected_outages, rate)
        assert line.crews_needed >= line.expected_outages * rate - 1e-9
        assert len(line.priority_assets) == min(priority_n, line.assets_in_area)
        risks = [a.expected_customers_out for a in line.priority_assets]
        assert risks == sorted(risks, reverse=True)
        if line.priority_assets:
            rest = scored[scored["service_center"] == line.service_center]
            top = (rest["probability"] * rest["customers_served"]).max()
            assert risks[0] == pytest.approx(top)
    outages = [line.expected_outages for line in plan.lines]
    assert outages == sorted(outages, reverse=True)


@settings(max_examples=100, deadline=None)
@given(scored=frames, low=st.floats(0.01, 2.0), factor=st.floats(1.0, 4.0))
def test_crews_grow_with_the_rate(scored, low, factor):
    fewer = build_crew_plan(scored, low, 0)
    more = build_crew_plan(scored, low * factor, 0)
    assert more.crews_needed >= fewer.crews_needed
    for a, b in zip(fewer.lines, more.lines, strict=True):
        assert b.crews_needed >= a.crews_needed


@settings(max_examples=100, deadline=None)
@given(scored=frames, rate=st.floats(0.05, 2.0), bump=st.floats(0.0, 1.0))
def test_higher_probabilities_never_need_fewer_crews(scored, rate, bump):
    riskier = scored.assign(probability=np.minimum(1.0, scored["probability"] + bump))
    assert build_crew_plan(riskier, rate, 0).crews_needed >= build_crew_plan(scored, rate, 0).crews_needed


@settings(max_examples=60, deadline=None)
@given(scored=frames, rate=st.floats(0.05, 2.0))
def test_row_order_does_not_change_the_numbers(scored, rate):
    a = build_crew_plan(scored, rate, 3)
    b = build_crew_plan(scored.iloc[::-1], rate, 3)
    assert a.crews_needed == b.crews_needed
    assert [line.service_center for line in a.lines] == [line.service_center for line in b.lines]
    assert math.isclose(a.expected_outages, b.expected_outages, rel_tol=1e-9, abs_tol=1e-9)
