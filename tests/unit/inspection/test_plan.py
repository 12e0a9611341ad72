"""The inspection plan ranks units by their latest score only, worst first, trends before single
crossings, and says how urgent each visit is."""

from __future__ import annotations

import pandas as pd
import pytest

from gridflow.inspection.plan import PLAN_COLUMNS, Urgency, plan_inspections, plan_markdown


def scores(*rows):
    frame = pd.DataFrame(rows, columns=["asset_id", "reading_id", "health_index", "scored_at_utc"])
    frame["scored_at_utc"] = pd.to_datetime(frame["scored_at_utc"], utc=True)
    frame["threshold"] = 50.0
    frame["degraded"] = frame["health_index"] >= frame["threshold"]
    frame["model_version"] = "3"
    return frame


def test_only_units_whose_latest_score_is_degraded_are_planned_worst_first():
    plan = plan_inspections(scores(
        ("T1", "r1", 80.0, "2026-12-01"),
        ("T2", "r2", 60.0, "2026-12-01"),
        ("T3", "r3", 90.0, "2026-12-01"), ("T3", "r4", 30.0, "2026-12-02"),  # treated: recovered
        ("T4", "r5", 20.0, "2026-12-01"),
    ))
    assert list(plan.columns) == PLAN_COLUMNS
    assert plan["asset_id"].tolist() == ["T1", "T2"]
    assert plan["rank"].tolist() == [1, 2]
    assert plan["margin"].tolist() == [30.0, 10.0]
    assert plan["urgency"].tolist() == ["urgent", "planned"]
    assert plan["visit_within_days"].tolist() == [7, 30]


def test_a_run_of_degraded_readings_ranks_above_a_single_crossing_with_the_same_score():
    plan = plan_inspections(scores(
        ("NEW", "a1", 10.0, "2026-11-01"), ("NEW", "a2", 70.0, "2026-12-03"),
        ("OLD", "b1", 55.0, "2026-11-01"), ("OLD", "b2", 65.0, "2026-11-20"), ("OLD", "b3", 70.0, "2026-12-03"),
    ))
    assert plan["asset_id"].tolist() == ["OLD", "NEW"]
    assert plan["degraded_readings"].tolist() == [3, 1]
    assert plan.loc[0, "first_degraded_utc"] == pd.Timestamp("2026-11-01", tz="UTC")
    assert plan.loc[0, "reading_id"] == "b3"


def test_the_urgent_margin_is_a_setting():
    plan = plan_inspections(scores(("T1", "r1", 60.0, "2026-12-01")), Urgency(urgent_margin=5.0, urgent_days=3))
    assert plan.loc[0, "urgency"] == "urgent" and plan.loc[0, "visit_within_days"] == 3


def test_no_scores_or_no_degraded_unit_gives_an_empty_plan_and_says_so():
    assert plan_inspections(scores()).empty
    empty = plan_inspections(scores(("T1", "r1", 10.0, "2026-12-01")))
    assert empty.empty and list(empty.columns) == PLAN_COLUMNS
    assert "No unit is over its alarm threshold" in plan_markdown(empty, "manual run")


def test_markdown_lists_every_unit():
    plan = plan_inspections(scores(("T1", "r1", 80.0, "2026-12-01"), ("T2", "r2", 60.0, "2026-12-01")))
    text = plan_markdown(plan, "T1 degraded")
    assert "Triggered by T1 degraded. 2 unit(s) over the alarm threshold, 1 urgent." in text
    assert "| 1 | T1 | 80.0 | +30.0 | urgent | 7 | 1 |" in text


def test_missing_columns_are_a_clear_error():
    with pytest.raises(ValueError, match="lack column"):
        plan_inspections(pd.DataFrame({"asset_id": ["T1"]}))
