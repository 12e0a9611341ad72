"""Per-meter statistics come from the known days only, and a late joiner's from the days it has."""

from __future__ import annotations

import numpy as np
import pandas as pd

from gridflow.consumption.day_grid import build_day_grid
from gridflow.consumption.meter_stats import known_stats
from tests.unit.consumption.sgsc_fixture import LATE_JOINER, sgsc_readings


def _at(grid, meter: str, day: str) -> tuple[int, int]:
    return int(np.flatnonzero(grid.meters == meter)[0]), int((pd.Timestamp(day) - grid.first_day).days)


def test_a_late_joiner_gets_statistics_from_the_days_it_has():
    readings = sgsc_readings()
    grid = build_day_grid(readings)
    stats = known_stats(grid, known_lag_days=2, window_days=28)
    m, d = _at(grid, LATE_JOINER, "2013-03-25")  # joined 2013-03-18 11:00 local; known through 03-23
    local = pd.DatetimeIndex(readings["interval_start_local"])
    own = readings[(readings["meter_id"] == LATE_JOINER) & (local < pd.Timestamp("2013-03-24"))]
    assert stats.known_days[m, d] == 6 and stats.history_days[m, d] == 6
    assert np.isclose(stats.mean[m, d], own["kwh"].mean())
    assert np.isclose(stats.mean_all[m, d], own["kwh"].mean())
    assert np.isfinite(stats.profile[m, d]).all()  # every half-hour was read on some known day
    first = _at(grid, LATE_JOINER, "2013-03-19")[1]  # cutoff 03-18 00:00: nothing of it known yet
    assert stats.history_days[m, first] == 0 and np.isnan(stats.mean[m, first])


def test_statistics_ignore_days_after_the_last_known_one():
    grid = build_day_grid(sgsc_readings())
    stats = known_stats(grid, known_lag_days=2, window_days=7)
    m, d = _at(grid, "SGSC-10006414", "2013-04-01")
    window = grid.values[m, d - 8:d - 1]  # 03-24 .. 03-30
    assert np.isclose(stats.mean[m, d], np.nanmean(window))
    assert np.isclose(stats.last_day_mean[m, d], np.nanmean(grid.values[m, d - 2]))
    weekend = grid.day_of(np.arange(d - 8, d - 1)).dayofweek >= 5
    ratio = np.nanmean(window[~weekend]) / np.nanmean(window[weekend])
    assert np.isclose(stats.weekday_weekend_ratio[m, d], ratio)


def test_the_repeated_fall_back_hour_averages_into_its_slot():
    readings = sgsc_readings()
    grid = build_day_grid(readings)
    m, d = _at(grid, "SGSC-10006414", "2013-04-07")
    local = pd.DatetimeIndex(readings["interval_start_local"])
    both = readings[(readings["meter_id"] == "SGSC-10006414") & (local == pd.Timestamp("2013-04-07 02:30"))]
    assert len(both) == 2 and np.isclose(grid.values[m, d, 5], both["kwh"].mean())
