"""The drift scenario: a grown period of real load, re-dated to follow the data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gridflow import frames as f
from gridflow.monitoring.scenario import shifted_period


def load_frame(start_utc: str, hours: int) -> pd.DataFrame:
    utc = pd.date_range(start_utc, periods=hours, freq="h", tz="UTC")
    local = utc.tz_convert(f.PJM_TZ)
    return pd.DataFrame({
        f.ZONE: pd.array(["PJME"] * hours, dtype="string"),
        f.INTERVAL_START_UTC: utc,
        f.INTERVAL_START_LOCAL: local.tz_localize(None),
        f.IS_DST: [bool(ts.dst()) for ts in local],
        f.LOAD_MW: 30_000 + 1_000 * np.sin(np.arange(hours) / 24 * 2 * np.pi),
    })[f.LOAD_COLUMNS]


LOAD = load_frame("2015-06-01 04:00", 24 * 200)  # June to mid-December 2015


def test_summer_is_scaled_and_follows_the_last_hour():
    out = shifted_period(LOAD, "2015-07-01", "2015-08-01", factor=1.15)
    source = LOAD[(LOAD[f.INTERVAL_START_LOCAL] >= "2015-07-01") & (LOAD[f.INTERVAL_START_LOCAL] < "2015-08-01")]
    assert len(out) == len(source) == 31 * 24
    assert out[f.INTERVAL_START_UTC].iloc[0] == LOAD[f.INTERVAL_START_UTC].max() + pd.Timedelta(hours=1)
    assert (out[f.INTERVAL_START_UTC].diff().dropna() == pd.Timedelta(hours=1)).all()
    np.testing.assert_allclose(out[f.LOAD_MW].to_numpy(), source[f.LOAD_MW].to_numpy() * 1.15)
    assert list(out.columns) == f.LOAD_COLUMNS
    assert str(out[f.ZONE].dtype) == "string"


def test_local_clock_and_dst_are_recomputed_for_the_new_dates():
    out = shifted_period(LOAD, "2015-07-01", "2015-08-01")
    # July (EDT) re-dated to mid-December (EST): local time and flag follow the new instants.
    expected_local = out[f.INTERVAL_START_UTC].dt.tz_convert(f.PJM_TZ).dt.tz_localize(None)
    assert (out[f.INTERVAL_START_LOCAL] == expected_local).all()
    assert not out[f.IS_DST].any()
    assert out[f.INTERVAL_START_LOCAL].dt.month.iloc[0] == 12


def test_result_does_not_overlap_the_input_and_leaves_it_unchanged():
    before = LOAD.copy()
    out = shifted_period(LOAD, "2015-07-01", "2015-07-08")
    assert out[f.INTERVAL_START_UTC].min() > LOAD[f.INTERVAL_START_UTC].max()
    pd.testing.assert_frame_equal(LOAD, before)


@pytest.mark.parametrize(("start", "end", "factor"), [
    pytest.param("2030-01-01", "2030-02-01", 1.15, id="empty-period"),
    pytest.param("2015-07-01", "2015-08-01", 0.0, id="non-positive-factor"),
])
def test_refuses_nonsense(start, end, factor):
    with pytest.raises(ValueError):
        shifted_period(LOAD, start, end, factor=factor)
