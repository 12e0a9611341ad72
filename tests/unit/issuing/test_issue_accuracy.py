"""Accuracy of issued forecasts against metered load: MAPE per day, zone and version, coverage of
P10-P90, the latest issue per target hour, and hours without actuals left out."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gridflow.issuing.accuracy import accuracy_by, score, summarize, with_actuals


def test_mape_and_coverage_of_known_errors(pjme_week, make_issued):
    day = make_issued(pjme_week, "2017-11-03", "5", bias=0.04, band=0.05)  # 4 % high, actual inside the band
    figures = score(day)
    assert figures["hours"] == 24
    assert figures["mape"] == pytest.approx(4.0, rel=1e-9)
    assert figures["coverage_p10_p90"] == 1.0
    narrow = score(make_issued(pjme_week, "2017-11-03", "5", bias=0.04, band=0.02))  # actual below P10
    assert narrow["coverage_p10_p90"] == 0.0
    assert narrow["width_pct"] == pytest.approx(4.0)


def test_per_day_zone_and_version_with_the_fall_back_day(pjme_week, make_issued):
    frame = pd.concat([
        make_issued(pjme_week, "2017-11-04", "5", bias=0.02),
        make_issued(pjme_week, "2017-11-05", "5", bias=-0.06),  # fall back: 25 hours
        make_issued(pjme_week, "2017-11-05", "6", bias=0.01),
    ], ignore_index=True)
    per_day = accuracy_by(frame, ["zone", "model_version", "local_date"])
    assert [(r["model_version"], r["local_date"], r["hours"]) for r in per_day] == [
        ("5", "2017-11-04", 24), ("5", "2017-11-05", 25), ("6", "2017-11-05", 25)]
    assert [r["mape"] for r in per_day] == pytest.approx([2.0, 6.0, 1.0])
    per_version = {r["model_version"]: r for r in accuracy_by(frame, ["model_version"])}
    assert per_version["5"]["hours"] == 49
    assert per_version["5"]["mape"] == pytest.approx((24 * 2 + 25 * 6) / 49, abs=1e-4)  # rounded for JSON
    summary = summarize(frame, model_version="6")
    assert summary["source"] == "issued" and summary["rows"] == 25
    assert summary["current_error"] == pytest.approx(1.0)
    assert [r["zone"] for r in summary["per_zone"]] == ["PJME"]


def test_only_landed_hours_and_the_latest_issue_count(pjme_week, make_issued):
    early = make_issued(pjme_week, "2017-11-04", "5", bias=0.10, issued_at="2017-11-03 13:00")
    late = make_issued(pjme_week, "2017-11-04", "5", bias=0.03, issued_at="2017-11-03 14:00")
    frame = pd.concat([early, late], ignore_index=True)
    evening = frame["target_start_local"].dt.hour >= 20
    frame.loc[evening, "actual_mw"] = np.nan  # the evening has not landed yet
    landed = with_actuals(frame)
    assert len(landed) == 20
    assert landed["issued_at_utc"].eq(pd.Timestamp("2017-11-03 14:00", tz="UTC")).all()
    assert summarize(landed)["current_error"] == pytest.approx(3.0)


def test_no_rows_scores_nothing():
    empty = pd.DataFrame(columns=["p10_mw", "p50_mw", "p90_mw", "actual_mw"])
    assert score(empty)["hours"] == 0
    assert np.isnan(score(empty)["mape"])
