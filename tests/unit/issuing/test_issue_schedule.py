"""The issue schedule: target day, information cutoff (D-1 09:00 market time) and the hours of a
local day, including both DST days."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from gridflow.issuing.schedule import (
    default_target_date,
    issue_time_utc,
    local_day_hours,
    parse_target_date,
    plan_issue,
)

NY = "America/New_York"


def test_target_date_defaults_to_tomorrow_in_market_time():
    # 03:30 UTC on Dec 8 is still Dec 7 in New York: tomorrow there is Dec 8.
    assert default_target_date(pd.Timestamp("2026-12-08 03:30", tz="UTC"), NY) == date(2026, 12, 8)
    assert default_target_date(pd.Timestamp("2026-12-08 14:30", tz="UTC"), NY) == date(2026, 12, 9)
    assert parse_target_date(None, pd.Timestamp("2026-12-08 14:30", tz="UTC"), NY) == date(2026, 12, 9)
    assert parse_target_date("2018-08-03", pd.Timestamp("2026-12-08 14:30", tz="UTC"), NY) == date(2018, 8, 3)
    with pytest.raises(ValueError, match="naive"):
        default_target_date(pd.Timestamp("2026-12-08 14:30"), NY)
    with pytest.raises(ValueError, match="ISO date"):
        parse_target_date("08/03/2018", pd.Timestamp("2026-12-08", tz="UTC"), NY)


@pytest.mark.parametrize(("target", "expected_utc"), [
    (date(2025, 1, 15), "2025-01-14 14:00"),  # EST: 09:00 = 14:00 UTC
    (date(2025, 7, 15), "2025-07-14 13:00"),  # EDT: 09:00 = 13:00 UTC
    (date(2025, 3, 9), "2025-03-08 14:00"),  # spring forward day: issued the day before, still EST
    (date(2025, 3, 10), "2025-03-09 13:00"),  # issued on the spring-forward day, after the change
    (date(2025, 11, 2), "2025-11-01 13:00"),  # fall back day: issued the day before, still EDT
    (date(2025, 11, 3), "2025-11-02 14:00"),  # issued on the fall-back day, after the change
])
def test_issue_time_is_d_minus_1_at_the_issue_hour(target, expected_utc):
    issued = issue_time_utc(target, NY, 9)
    assert issued == pd.Timestamp(expected_utc, tz="UTC")
    local = issued.tz_convert(NY)
    assert (local.hour, local.date()) == (9, target - pd.Timedelta(days=1))


@pytest.mark.parametrize(("day", "hours", "dst_hours"), [
    (date(2025, 3, 9), 23, 21),  # 02:00 does not exist; 03:00..23:00 are EDT
    (date(2025, 11, 2), 25, 2),  # 01:00 twice: 00:00 and the first 01:00 are EDT
    (date(2025, 1, 15), 24, 0),
    (date(2025, 7, 15), 24, 24),
])
def test_local_day_hours_follow_dst(day, hours, dst_hours):
    frame = local_day_hours(day, NY)
    assert len(frame) == hours
    assert int(frame["is_dst"].sum()) == dst_hours
    assert frame["interval_start_local"].dt.date.eq(day).all()
    steps = frame["interval_start_utc"].diff().dropna()
    assert (steps == pd.Timedelta(hours=1)).all()
    assert frame["interval_start_utc"].dt.tz is not None


def test_fall_back_day_repeats_one_local_hour_with_distinct_instants():
    frame = local_day_hours(date(2017, 11, 5), NY)
    ones = frame[frame["interval_start_local"].dt.hour == 1]
    assert len(ones) == 2
    assert list(ones["is_dst"]) == [True, False]
    assert ones["interval_start_utc"].nunique() == 2


def test_plan_defaults_and_dedupes_zones():
    now = pd.Timestamp("2026-12-07 14:30", tz="UTC")
    plan = plan_issue(["PJME", "PJMW"], NY, 9, None, None, now)
    assert plan.zones == ["PJME", "PJMW"] and plan.target_date == date(2026, 12, 8)
    assert plan.issue_time_utc == pd.Timestamp("2026-12-07 14:00", tz="UTC")
    assert plan_issue(["PJME"], NY, 9, ["AE", "AE", "DPL"], "2018-08-03", now).zones == ["AE", "DPL"]
    with pytest.raises(ValueError, match="no zone"):
        plan_issue([], NY, 9, None, None, now)
