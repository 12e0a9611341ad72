"""Issue-time features of the household forecast on real SGSC readings: nothing read after the
information cutoff (end of D-2) reaches day D's rows, and what was read by then does."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gridflow.consumption import issue_features as ife
from tests.unit.consumption.sgsc_fixture import LATE_JOINER, TZ, sgsc_readings

COMPARED = [*ife.feature_columns(), ife.BASELINE_WEEK, ife.BASELINE_4W]


def _features(readings: pd.DataFrame, **kwargs) -> pd.DataFrame:
    meters = readings["meter_id"].astype(str).unique()
    return ife.build_issue_features(readings, tz=TZ, feeder_of=dict.fromkeys(meters, "SGSC"), **kwargs)


def _day(feats: pd.DataFrame, day: str) -> pd.DataFrame:
    rows = feats[feats[ife.TARGET_DATE] == pd.Timestamp(day)]
    return rows.sort_values(["meter_id", "interval_start_utc"]).reset_index(drop=True)


def _garble(readings: pd.DataFrame, mask: np.ndarray, seed: int = 7) -> pd.DataFrame:
    out = readings.copy()
    rng = np.random.default_rng(seed)
    out.loc[mask, "kwh"] = rng.uniform(0, 9, int(mask.sum()))
    return out


@pytest.mark.parametrize("day", ["2013-03-25", "2013-04-01", "2013-04-07"])
def test_readings_after_the_cutoff_do_not_change_the_days_features(day):
    readings = sgsc_readings()
    base = _day(_features(readings), day)
    cutoff = base[ife.INFORMATION_CUTOFF_UTC].iloc[0]
    assert cutoff == pd.Timestamp(day, tz=TZ) - pd.Timedelta(days=1)  # D-2 ended: local midnight of D-1
    assert (base[ife.ISSUE_TIME_UTC] >= base[ife.INFORMATION_CUTOFF_UTC]).all()
    later = readings["interval_start_utc"] >= cutoff  # every half-hour ending after the cutoff
    after = _day(_features(_garble(readings, later.to_numpy())), day)
    pd.testing.assert_frame_equal(base[COMPARED], after[COMPARED])
    assert not np.allclose(base[ife.TARGET], after[ife.TARGET])  # the targets themselves did change


def test_readings_of_the_last_known_day_do_change_the_days_features():
    readings = sgsc_readings()
    day = "2013-04-01"
    base = _day(_features(readings), day)
    local = pd.DatetimeIndex(readings["interval_start_local"]).normalize()
    d2 = np.asarray(local == pd.Timestamp("2013-03-30"))  # D-2: known by the cutoff
    after = _day(_features(_garble(readings, d2)), day)
    for column in ("lag_last_known_day", "last_known_day_mean", "recent_profile", "recent_mean"):
        assert not np.allclose(base[column], after[column], equal_nan=True), column
    # With a three-day data lag D-2 is not known at issue time: the same change leaves D alone.
    slow = _day(_features(readings, known_lag_days=3), day)
    slow_after = _day(_features(_garble(readings, d2), known_lag_days=3), day)
    pd.testing.assert_frame_equal(slow[COMPARED], slow_after[COMPARED])


def test_a_data_lag_shorter_than_two_days_is_refused():
    with pytest.raises(ValueError, match="known_lag_days"):
        _features(sgsc_readings(), known_lag_days=1)


def test_calendar_of_the_target_half_hour_and_nsw_holidays():
    feats = _features(sgsc_readings())
    good_friday = feats[feats[ife.TARGET_DATE] == pd.Timestamp("2013-03-29")]
    assert (good_friday["is_holiday"] == 1).all() and (good_friday["weekday"] == 4).all()
    assert (feats.loc[feats[ife.TARGET_DATE] == pd.Timestamp("2013-03-27"), "is_holiday"] == 0).all()
    assert set(feats["season"]) == {0.0, 1.0}  # Sydney: February is summer, March autumn
    assert feats["half_hour"].between(0, 47).all()
    # The fall-back day 2013-04-07 has 50 half-hours per meter; the repeated ones share a slot.
    fallback = feats[(feats[ife.TARGET_DATE] == pd.Timestamp("2013-04-07")) & (feats["meter_id"] == LATE_JOINER)]
    assert len(fallback) == 50 and fallback["half_hour"].nunique() == 48
