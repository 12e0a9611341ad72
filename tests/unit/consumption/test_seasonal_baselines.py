"""The two per-meter seasonal baselines and their fallbacks for meters without the weeks they need."""

from __future__ import annotations

import numpy as np
import pandas as pd

from gridflow.consumption import seasonal_baselines as sb
from gridflow.consumption.day_grid import build_day_grid
from gridflow.consumption.meter_stats import known_stats
from tests.unit.consumption.sgsc_fixture import LATE_JOINER, sgsc_readings


def _rows(grid, meter: str, day: str):
    m = int(np.flatnonzero(grid.meters == meter)[0])
    d = int((pd.Timestamp(day) - grid.first_day).days)
    slots = np.arange(48)
    return np.full(48, m), np.full(48, d), slots


def test_full_history_uses_the_weeks_themselves():
    grid = build_day_grid(sgsc_readings())
    stats = known_stats(grid, 2, 28)
    m, d, s = _rows(grid, "SGSC-10006414", "2013-04-01")
    week = sb.same_slot_last_week(grid, stats, m, d, s, 2)
    assert np.allclose(week, grid.values[m[0], d[0] - 7])
    four = sb.mean_of_last_weekdays(grid, stats, m, d, s, 2)
    assert np.allclose(four, np.mean([grid.values[m[0], d[0] - 7 * k] for k in range(1, 5)], axis=0))


def test_a_late_joiner_without_a_full_week_falls_back_on_what_it_has():
    grid = build_day_grid(sgsc_readings())
    stats = known_stats(grid, 2, 28)
    m, d, s = _rows(grid, LATE_JOINER, "2013-03-24")  # a week earlier it had not joined yet
    assert np.isnan(sb.lagged(grid, m, d, s, 7)).all()
    week = sb.same_slot_last_week(grid, stats, m, d, s, 2)
    assert np.allclose(week, grid.values[m[0], d[0] - 2])  # the same half-hour of its last known day
    assert np.allclose(sb.mean_of_last_weekdays(grid, stats, m, d, s, 2), week)
    m, d, s = _rows(grid, LATE_JOINER, "2013-03-19")  # nothing of it known: the other meters' profile
    fleet = sb.same_slot_last_week(grid, stats, m, d, s, 2)
    assert np.isfinite(fleet).all()
    others = [i for i in range(len(grid.meters)) if grid.meters[i] != LATE_JOINER]
    assert np.allclose(fleet, np.mean(stats.profile[others, d[0]], axis=0))
