"""The A/B report's statistics on constructed logs: a clearly better challenger is promoted (paired for
shadow, unpaired for A/B), an equal one is kept, too few rows decide nothing, and the verdict
becomes the gate's decision."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from gridflow.experiments.compare import Arms, compare_arms, join_actuals, to_gate_decision
from tests.unit.experiments.logs import ab_log, shadow_log

ARMS = Arms("1", "2", "run-2")


def test_a_clearly_better_shadow_challenger_is_promoted_on_the_paired_test():
    rows, actual = shadow_log(200, champion_error=5.0, challenger_error=2.0)
    report = compare_arms("m", ARMS, rows, actual)
    assert (report.mode, report.recommendation, report.conclusive) == ("shadow", "promote", True)
    assert report.test.startswith("Wilcoxon") and report.n_champion == report.n_challenger == 200
    assert report.mae_challenger < report.mae_champion
    assert report.difference == pytest.approx(report.mae_challenger - report.mae_champion)
    assert report.ci_low < report.difference < report.ci_high < 0
    assert report.p_value < 1e-10
    assert "challenger v2 MAE" in report.reason and "p=" in report.reason and "< 0.05" in report.reason


def test_an_equal_challenger_is_kept_with_the_figures_in_the_reason():
    rows, actual = shadow_log(200, 3.0, 3.0, seed=1)
    report = compare_arms("m", ARMS, rows, actual)
    assert (report.recommendation, report.conclusive) == ("keep", True)
    assert report.p_value > 0.05 and report.ci_low < 0 < report.ci_high
    assert "champion stays" in report.reason and f"{report.mae_champion:.4g}" in report.reason


def test_a_worse_challenger_is_kept_even_when_significant():
    rows, actual = shadow_log(200, 2.0, 5.0)
    report = compare_arms("m", ARMS, rows, actual)
    assert report.recommendation == "keep" and report.p_value < 0.05 and "not better" in report.reason


def test_identical_answers_carry_no_evidence():
    rows, actual = shadow_log(50, 3.0, 3.0)
    champion = rows[rows["arm"] == "champion"]
    rows = pd.concat([champion, champion.assign(arm="challenger", model_version="2")], ignore_index=True)
    report = compare_arms("m", ARMS, rows, actual)
    assert (report.recommendation, report.p_value, report.difference) == ("keep", 1.0, 0.0)


def test_ab_rows_are_compared_unpaired():
    rows, actual = ab_log(150, champion_error=5.0, challenger_error=2.0)
    report = compare_arms("m", ARMS, rows, actual)
    assert (report.mode, report.recommendation) == ("ab", "promote")
    assert report.test.startswith("Mann-Whitney") and (report.n_champion, report.n_challenger) == (150, 150)
    equal_rows, equal_actual = ab_log(150, 3.0, 3.0, seed=3)
    assert compare_arms("m", ARMS, equal_rows, equal_actual).recommendation == "keep"


def test_shadow_rows_win_over_ab_rows_when_both_were_logged():
    shadow, actual = shadow_log(60, 5.0, 2.0)
    ab, _ = ab_log(30, 2.0, 5.0, seed=9)
    report = compare_arms("m", ARMS, pd.concat([ab.assign(request_id="ab" + ab["request_id"]), shadow]), actual)
    assert report.mode == "shadow" and report.n_champion == 60


def test_too_few_rows_with_actuals_decide_nothing():
    rows, actual = shadow_log(40, 5.0, 2.0)
    report = compare_arms("m", ARMS, rows, actual.iloc[:20], min_rows=30)
    assert (report.recommendation, report.conclusive, report.n_challenger) == ("keep", False, 20)
    assert report.logged_rows == 80 and report.rows_with_actuals == 40
    assert "30 needed per arm" in report.reason and not to_gate_decision(report).promote


def test_rows_of_other_versions_and_rows_without_a_number_are_left_out():
    rows, actual = shadow_log(40, 5.0, 2.0)
    stale = rows[rows["arm"] == "challenger"].assign(model_version="1", request_id=lambda f: "old" + f["request_id"])
    rows.loc[0, "prediction"] = np.nan  # a non-scalar answer is logged without `prediction`
    report = compare_arms("m", ARMS, pd.concat([rows, stale]), actual)
    assert report.logged_rows == 80 and report.n_champion == report.n_challenger == 39
    joined = join_actuals(rows, actual)
    assert len(joined) == 79 and (joined["abs_error"] >= 0).all()


def test_nothing_to_compare_without_a_distinct_challenger_or_without_actuals():
    rows, actual = shadow_log(40, 5.0, 2.0)
    same = compare_arms("m", Arms("1", "1"), rows, actual)
    assert not same.conclusive and "no challenger distinct" in same.reason
    assert not compare_arms("m", Arms("1", None), rows, actual).conclusive
    blind = compare_arms("m", ARMS, rows, None)
    assert not blind.conclusive and "no actuals" in blind.reason


def test_the_verdict_becomes_the_gates_decision_and_a_json_safe_record():
    rows, actual = shadow_log(100, 5.0, 2.0)
    report = compare_arms("m", ARMS, rows, actual)
    decision = to_gate_decision(report)
    assert (decision.promote, decision.action, decision.metric) == (True, "promote", "mae")
    assert (decision.challenger_version, decision.champion_version) == ("2", "1")
    assert (decision.challenger, decision.champion) == (report.mae_challenger, report.mae_champion)
    assert decision.reason == f"A/B report (shadow): {report.reason}"
    kept = to_gate_decision(compare_arms("m", ARMS, *shadow_log(100, 3.0, 3.0, seed=1)))
    assert (kept.promote, kept.action) == (False, "reject")
    blind = compare_arms("m", ARMS, rows, None)
    assert math.isnan(to_gate_decision(blind).challenger)
    record = json.dumps(blind.as_dict(), allow_nan=False)  # PostgreSQL's JSON refuses NaN
    assert json.loads(record)["challenger_run_id"] == "run-2"
