"""daily_from_observations: local calendar days (DST days of 23 and 25 hours), closed days only,
enough hours only, F from degC, nulls ignored."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gridflow.sources.weather.daily import COLUMNS, daily_from_observations

TZ = "America/New_York"


def obs(start_local: str, end_local: str, station: str = "KBWI", freq: str = "h") -> pd.DataFrame:
    """Observations every `freq` from local start to end (exclusive): temperature = local hour in degC."""
    utc = pd.date_range(pd.Timestamp(start_local, tz=TZ), pd.Timestamp(end_local, tz=TZ), freq=freq,
                        inclusive="left").tz_convert("UTC")
    local = utc.tz_convert(TZ)
    return pd.DataFrame({"station": station, "observed_at_utc": utc, "temperature_c": local.hour.astype(float),
                         "dewpoint_c": 0.0, "quality_control": "V"})


def test_whole_days_in_f_with_local_calendar():
    frame = obs("2018-07-01 00:00", "2018-07-03 00:00")
    # By default the clock is the last observation (07-02 23:00): 07-02 has not closed yet.
    assert daily_from_observations(frame, TZ)["local_date"].tolist() == [pd.Timestamp("2018-07-01")]
    out = daily_from_observations(frame, TZ, now_utc=pd.Timestamp("2018-07-03 04:00", tz="UTC"))
    assert list(out.columns) == COLUMNS
    assert out["local_date"].tolist() == [pd.Timestamp("2018-07-01"), pd.Timestamp("2018-07-02")]
    assert str(out["local_date"].dtype) == "datetime64[ns]"
    # local hours 0..23 degC -> min 32 F, max 23*1.8+32 = 73.4 F
    assert out["tmin_f"].tolist() == [32.0, 32.0] and out["tmax_f"].tolist() == [73.4, 73.4]
    assert out["hours"].tolist() == [24, 24]
    assert out["source"].unique().tolist() == ["nws_observations"] and out["prcp_in"].isna().all()


def test_spring_forward_day_has_23_hours_and_counts():
    out = daily_from_observations(obs("2018-03-11 00:00", "2018-03-12 00:00"), TZ,
                                  now_utc=pd.Timestamp("2018-03-12 12:00", tz="UTC"))
    assert out["local_date"].tolist() == [pd.Timestamp("2018-03-11")]
    assert out["hours"].tolist() == [23]
    assert out["tmax_f"].iloc[0] == 73.4  # 23:00 EDT is still the same local day


def test_fall_back_day_has_25_hours():
    out = daily_from_observations(obs("2018-11-04 00:00", "2018-11-05 00:00"), TZ,
                                  now_utc=pd.Timestamp("2018-11-05 12:00", tz="UTC"))
    assert out["hours"].tolist() == [25]
    assert out["local_date"].tolist() == [pd.Timestamp("2018-11-04")]


def test_open_and_thin_days_are_left_out():
    frame = obs("2018-07-01 05:00", "2018-07-02 13:00")  # 07-01 has 19 h, 07-02 is still open
    assert daily_from_observations(frame, TZ).empty
    # The same day closes once the clock passes local midnight, and 19 hours pass with min_hours=19.
    closed = daily_from_observations(frame, TZ, min_hours=19, now_utc=pd.Timestamp("2018-07-02 04:00", tz="UTC"))
    assert closed["local_date"].tolist() == [pd.Timestamp("2018-07-01")]
    # Before 04:00 UTC (midnight EDT) it is not closed yet.
    assert daily_from_observations(frame, TZ, min_hours=19,
                                   now_utc=pd.Timestamp("2018-07-02 03:59", tz="UTC")).empty


def test_null_temperatures_do_not_count_as_hours_and_several_stations_stay_apart():
    frame = pd.concat([obs("2018-07-01", "2018-07-02"), obs("2018-07-01", "2018-07-02", station="KIAD")])
    frame.loc[(frame["station"] == "KIAD") & (frame.index < 5), "temperature_c"] = np.nan
    out = daily_from_observations(frame, TZ, min_hours=19, now_utc=pd.Timestamp("2018-07-03", tz="UTC"))
    assert out["station"].tolist() == ["KBWI", "KIAD"]
    assert out["hours"].tolist() == [24, 19]
    assert len(daily_from_observations(frame, TZ, now_utc=pd.Timestamp("2018-07-03", tz="UTC"), min_hours=20)) == 1


def test_sub_hourly_reports_count_hours_not_reports():
    frame = obs("2018-07-01 00:00", "2018-07-01 12:00", freq="5min")  # 144 reports, 12 hours
    out = daily_from_observations(frame, TZ, min_hours=12, now_utc=pd.Timestamp("2018-07-03", tz="UTC"))
    assert out["hours"].tolist() == [12]


def test_empty_and_all_null():
    frame = obs("2018-07-01", "2018-07-02").assign(temperature_c=np.nan)
    assert daily_from_observations(frame, TZ).empty
    assert list(daily_from_observations(frame.iloc[:0], TZ).columns) == COLUMNS


@pytest.mark.parametrize("tz", ["America/New_York", "America/Chicago"])
def test_local_day_boundary_follows_the_site_zone(tz):
    # 03:30 UTC on July 2 is still July 1 in both Eastern and Central time.
    frame = pd.DataFrame({"station": "K", "observed_at_utc": [pd.Timestamp("2018-07-02 03:30", tz="UTC")],
                          "temperature_c": [20.0], "dewpoint_c": [0.0], "quality_control": ["V"]})
    out = daily_from_observations(frame, tz, min_hours=1, now_utc=pd.Timestamp("2018-07-03 12:00", tz="UTC"))
    assert out["local_date"].tolist() == [pd.Timestamp("2018-07-01")]
