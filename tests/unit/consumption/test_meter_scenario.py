"""The monitor's grown-consumption scenario: the last weeks of every meter, scaled and re-dated to
follow the data without a gap or an overlap."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gridflow.consumption.scenario import grown_copy
from gridflow.sources.meters.frame import INTERVAL_START_LOCAL, INTERVAL_START_UTC, KWH, METER_ID
from tests.unit.consumption.sgsc_fixture import TZ, sgsc_readings


def test_the_copy_scales_the_last_days_and_starts_right_after_the_data():
    readings = sgsc_readings()
    copy = grown_copy(readings, days=7, factor=1.5, tz=TZ)
    # 2013-04-01 .. 04-07 (the fall-back day has 50 half-hours), four meters.
    assert len(copy) == 4 * (7 * 48 + 2) and copy[METER_ID].nunique() == 4
    last = readings[INTERVAL_START_UTC].max()
    assert copy[INTERVAL_START_UTC].min() == last + pd.Timedelta(minutes=30)
    source = readings[pd.DatetimeIndex(readings[INTERVAL_START_LOCAL]) >= pd.Timestamp("2013-04-01")]
    assert np.allclose(np.sort(copy[KWH].to_numpy()), np.sort(source[KWH].to_numpy() * 1.5))
    # Local clock recomputed: 2013-04-08 00:00 AEST is 14:00 UTC the day before.
    assert copy[INTERVAL_START_LOCAL].min() == pd.Timestamp("2013-04-08 00:00")
    assert not pd.concat([readings, copy]).duplicated([METER_ID, INTERVAL_START_UTC]).any()


def test_a_scenario_needs_readings_and_a_positive_factor():
    with pytest.raises(ValueError, match="positive"):
        grown_copy(sgsc_readings(), days=7, factor=0, tz=TZ)
    with pytest.raises(ValueError, match="no readings"):
        grown_copy(sgsc_readings().iloc[:0], days=7, factor=1.5, tz=TZ)
