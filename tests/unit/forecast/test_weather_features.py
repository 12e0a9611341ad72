"""Weather features: point in time (no vintage issued after the cutoff and no station observation
made after it reaches a feature), the vintage join, D-1 as known at 09:00 on D-1 (observations
plus D's vintage), the training stand-in (observed + seeded forecast-sized error), sites, diurnal curve.

Observed weather is the shipped GHCN-Daily BWI file; forecast vintages have the columns and types
of the NWS hourly forecast parser's output (tests/fixtures/nws), with temperatures set per test.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gridflow.forecast import weather_features as wf
from gridflow.forecast.features import build_day_ahead_features
from gridflow.sources.weather.nws_forecast import parse_forecast_hourly

ROOT = Path(__file__).resolve().parents[3]
BWI = ROOT / "data" / "weather" / "USW00093721_BWI_daily_2001_2018.csv"
NWS_HOURLY = ROOT / "tests" / "fixtures" / "nws" / "nws_gridpoints_forecast_hourly_pynws_fixture.json"
TZ = "America/New_York"
SITES = pd.DataFrame({"site": ["BWI"], "zone": ["Z1"], "weight": [1.0]})
STATION_SITES = SITES.assign(station="KBWI")


@pytest.fixture(scope="module")
def daily() -> pd.DataFrame:
    raw = pd.read_csv(BWI)
    return pd.DataFrame({"site": "BWI", "local_date": pd.to_datetime(raw["Date"]),
                         "tmax_f": raw["tmax"].astype(float), "tmin_f": raw["tmin"].astype(float)})


@pytest.fixture(scope="module")
def feats(make_load) -> pd.DataFrame:
    return build_day_ahead_features(make_load("Z1", "2017-06-01", "2017-08-31"), TZ, issue_hour_local=9)


def vintage(update_local: str, first_local_day: str, temps, hours: int = 72) -> pd.DataFrame:
    """A forecast vintage shaped like the NWS parser's rows: `hours` hours from local midnight."""
    template = parse_forecast_hourly(NWS_HOURLY.read_text(), "BWI", pd.Timestamp("2017-01-01", tz="UTC")).frame
    start = pd.Timestamp(first_local_day, tz=TZ).tz_convert("UTC")
    valid = pd.date_range(start, periods=hours, freq="h")
    update = pd.Timestamp(update_local, tz=TZ).tz_convert("UTC")
    rows = pd.DataFrame({c: np.repeat(template[c].to_numpy()[:1], hours) for c in template.columns})
    rows["update_time_utc"] = update
    rows["generated_at_utc"] = update
    rows["fetched_at_utc"] = update + pd.Timedelta(minutes=5)
    rows["valid_start_utc"] = valid
    rows["valid_end_utc"] = valid + pd.Timedelta(hours=1)
    rows["temperature_f"] = np.broadcast_to(np.asarray(temps, dtype="float64"), (hours,)).copy()
    return rows


def day_rows(frame: pd.DataFrame, feats: pd.DataFrame, day: str) -> pd.DataFrame:
    return frame[pd.DatetimeIndex(feats["interval_start_local"]).normalize() == pd.Timestamp(day)]


def observations(local_times, temps, station: str = "KBWI") -> pd.DataFrame:
    """Station observations shaped like `read_weather_observations`' rows, at local wall-clock times."""
    at = pd.DatetimeIndex([pd.Timestamp(t, tz=TZ) for t in local_times]).tz_convert("UTC")
    return pd.DataFrame({"station": station, "observed_at_utc": at,
                         "temperature_c": (np.broadcast_to(np.asarray(temps, dtype="float64"), (len(at),)) - 32) * 5 / 9,
                         "dewpoint_c": 10.0, "quality_control": "V"})


def build(feats, daily, forecasts, mae=2.5, sites=SITES, **kwargs):
    return wf.build_weather_features(feats, sites, daily, forecasts, TZ, mae, **kwargs)


def test_a_vintage_issued_after_the_cutoff_never_reaches_a_feature(feats, daily):
    legal = pd.concat([vintage("2017-07-09 08:00", "2017-07-09", 80.0), vintage("2017-07-19 07:30", "2017-07-19", 70.0)])
    before = build(feats, daily, legal)
    # Wild vintages issued one minute, one hour and one day after the 09:00 cutoff of 07-10 / 07-20.
    # Each covers only days whose cutoff it missed (a vintage may legally feed a later day).
    wild = pd.concat([vintage("2017-07-09 09:01", "2017-07-09", 150.0, hours=48),
                      vintage("2017-07-09 10:00", "2017-07-10", -40.0, hours=24),
                      vintage("2017-07-19 09:00:01", "2017-07-19", 150.0, hours=48),
                      vintage("2017-07-20 08:00", "2017-07-20", 150.0, hours=24)])
    after = build(feats, daily, pd.concat([legal, wild]))
    pd.testing.assert_frame_equal(before, after)
    target = day_rows(after, feats, "2017-07-10")
    assert (target[wf.WEATHER_KIND] == wf.KIND_FORECAST).all()
    assert (target["wx_tmax_f"] == 80.0).all()
    assert (target[wf.WEATHER_VINTAGE_UTC] == pd.Timestamp("2017-07-09 12:00", tz="UTC")).all()
    # D-1 (07-09) comes from the same legal vintage, never from the wild ones that cover it too.
    assert (target[wf.WEATHER_D1_KIND] == wf.KIND_ISSUE_TIME).all()
    assert (target["wx_tmax_d1"] == 80.0).all() and (target["wx_tmean_delta_1d"] == 0.0).all()


# Target day 2017-07-10, cutoff 2017-07-09 09:00 EDT: D-1 is 07-09, observed from midnight to 09:00.
MORNING = [f"2017-07-09 {h:02d}:54" for h in range(9)] + ["2017-07-09 09:00"]  # the last one AT the cutoff
MORNING_F = [70.0, 69.0, 68.0, 67.0, 66.0, 65.0, 66.0, 70.0, 75.0, 78.0]


def test_d1_is_the_morning_observed_by_the_cutoff_then_the_target_days_vintage(feats, daily):
    # The vintage selected for 07-10 starts at 10:00 local on 07-09: its D-1 hours fill the afternoon.
    chosen = vintage("2017-07-09 08:30", "2017-07-09 10:00", np.r_[np.full(14, 88.0), np.full(48, 90.0)], hours=62)
    older = vintage("2017-07-08 20:00", "2017-07-09", 55.0)  # legal, covers all of 07-09, but not D's vintage
    out = build(feats, daily, pd.concat([older, chosen]), sites=STATION_SITES, observations=observations(MORNING, MORNING_F))
    day = day_rows(out, feats, "2017-07-10").iloc[0]
    assert day[wf.WEATHER_VINTAGE_UTC] == pd.Timestamp("2017-07-09 12:30", tz="UTC")
    assert day[wf.WEATHER_D1_KIND] == wf.KIND_ISSUE_TIME
    assert day["wx_tmax_d1"] == 88.0 and day["wx_tmin_d1"] == pytest.approx(65.0)
    assert day["wx_tmean_delta_1d"] == pytest.approx(90.0 - (88.0 + 65.0) / 2)
    assert day["wx_tmax_delta_1d"] == pytest.approx(2.0)
    # The vintage fills only the hours after the last observation (09:00, the cutoff itself, is
    # known): its own 08:00 and 09:00 hours, here absurdly hot, are not used.
    early = vintage("2017-07-09 08:30", "2017-07-09 08:00", np.r_[120.0, 120.0, np.full(62, 88.0)], hours=64)
    day = day_rows(build(feats, daily, early, sites=STATION_SITES, observations=observations(MORNING, MORNING_F)),
                   feats, "2017-07-10").iloc[0]
    assert day["wx_tmax_d1"] == 88.0 and day["wx_tmin_d1"] == pytest.approx(65.0)


def test_no_observation_or_vintage_after_the_cutoff_reaches_a_d1_feature(feats, daily):
    legal_fc = vintage("2017-07-09 08:30", "2017-07-09 10:00", 88.0, hours=62)
    legal_obs = observations(MORNING, MORNING_F)
    before = build(feats, daily, legal_fc, sites=STATION_SITES, observations=legal_obs, observed_fallback=False)
    # Wild data known only after the 09:00 cutoff of 07-10: observations one second, one hour and
    # eight hours late on D-1 and on D itself; a vintage one minute late covering all of D-1 and D.
    late_obs = observations(["2017-07-09 09:00:01", "2017-07-09 10:54", "2017-07-09 17:00", "2017-07-10 01:00"], 150.0)
    late_fc = vintage("2017-07-09 09:01", "2017-07-09", -40.0, hours=48)
    after = build(feats, daily, pd.concat([legal_fc, late_fc]), sites=STATION_SITES,
                  observations=pd.concat([legal_obs, late_obs]), observed_fallback=False)
    target = day_rows(after, feats, "2017-07-10")
    pd.testing.assert_frame_equal(day_rows(before, feats, "2017-07-10"), target)
    assert (target[wf.WEATHER_D1_KIND] == wf.KIND_ISSUE_TIME).all()
    assert target[wf.D1_FEATURES].notna().all().all()
    assert (target["wx_tmax_d1"] == 88.0).all()


def test_d1_covering_too_few_hours_is_nan_when_issuing_and_the_stand_in_in_training(feats, daily):
    # 10 observed hours (00..09) + the vintage from 15:00 (9 hours) = 19 < 20: not enough.
    late_start = vintage("2017-07-09 08:30", "2017-07-09 15:00", 88.0, hours=57)
    obs = observations(MORNING, MORNING_F)
    issuing = day_rows(build(feats, daily, late_start, sites=STATION_SITES, observations=obs,
                             observed_fallback=False), feats, "2017-07-10")
    assert issuing[wf.D1_FEATURES].isna().all().all()
    assert (issuing[wf.WEATHER_D1_KIND] == wf.KIND_MISSING).all()
    assert issuing["wx_tmax_f"].notna().all()  # the target day's own features do not depend on D-1
    # A vintage from 14:00 covers one hour more: 10 + 10 = 20 hours, enough.
    enough = vintage("2017-07-09 08:30", "2017-07-09 14:00", 88.0, hours=58)
    ok = day_rows(build(feats, daily, enough, sites=STATION_SITES, observations=obs, observed_fallback=False),
                  feats, "2017-07-10")
    assert ok[wf.D1_FEATURES].notna().all().all()
    training = day_rows(build(feats, daily, late_start, sites=STATION_SITES, observations=obs, d1_error_mae_f=0.0),
                        feats, "2017-07-10")
    observed = daily.set_index("local_date").loc["2017-07-09"]
    assert (training[wf.WEATHER_D1_KIND] == wf.KIND_OBSERVED).all()
    assert (training["wx_tmax_d1"] == observed["tmax_f"]).all() and (training["wx_tmin_d1"] == observed["tmin_f"]).all()


def test_the_join_picks_the_latest_vintage_known_at_the_cutoff(feats, daily):
    vintages = pd.concat([
        vintage("2017-07-08 14:00", "2017-07-08", 40.0),
        vintage("2017-07-09 02:00", "2017-07-09", 50.0),
        vintage("2017-07-09 09:00", "2017-07-09", 60.0),  # exactly at the cutoff: known
        vintage("2017-07-09 09:00:01", "2017-07-09", 99.0),  # one second late: not known
    ])
    target = day_rows(build(feats, daily, vintages), feats, "2017-07-10")
    assert (target["wx_tmax_f"] == 60.0).all() and (target["wx_tmin_f"] == 60.0).all()
    # A newer vintage that covers only a few hours of the target day does not replace a full one.
    partial = vintage("2017-07-09 08:30", "2017-07-10", 75.0, hours=10)
    target = day_rows(build(feats, daily, pd.concat([vintages, partial])), feats, "2017-07-10")
    assert (target["wx_tmax_f"] == 60.0).all()
    # The day's max and min come from the vintage's hours of that local day only.
    shaped = vintage("2017-07-09 06:00", "2017-07-09", np.r_[np.full(24, 100.0), np.arange(24.0) + 60, np.full(24, 0.0)])
    target = day_rows(build(feats, daily, shaped), feats, "2017-07-10")
    assert target["wx_tmax_f"].iloc[0] == 83.0 and target["wx_tmin_f"].iloc[0] == 60.0


def test_training_history_uses_observed_plus_a_seeded_forecast_sized_error(feats, daily):
    none = vintage("2017-01-01", "2017-01-01", 0.0).iloc[:0]
    honest, again = build(feats, daily, none), build(feats, daily, none)
    perfect = build(feats, daily, none, mae=0.0, d1_error_mae_f=0.0)
    pd.testing.assert_frame_equal(honest, again)
    assert set(honest[wf.WEATHER_KIND]) == {wf.KIND_OBSERVED_ERROR}
    assert set(perfect[wf.WEATHER_KIND]) == {wf.KIND_OBSERVED}
    assert set(honest[wf.WEATHER_D1_KIND]) == {wf.KIND_OBSERVED_ERROR}
    assert set(perfect[wf.WEATHER_D1_KIND]) == {wf.KIND_OBSERVED}
    obs = daily.set_index("local_date")
    days = pd.DatetimeIndex(feats["interval_start_local"]).normalize()
    np.testing.assert_allclose(perfect["wx_tmax_f"], obs.loc[days, "tmax_f"].to_numpy())
    prev = days - pd.Timedelta(days=1)
    np.testing.assert_allclose(perfect["wx_tmax_d1"], obs.loc[prev, "tmax_f"].to_numpy())
    np.testing.assert_allclose(perfect["wx_tmin_d1"], obs.loc[prev, "tmin_f"].to_numpy())
    # D-1 draws come from their own streams (2, 3) with their own, smaller MAE: the target day's
    # draws are those of streams 0/1 as before, and a D-1 error of 0 leaves them untouched.
    d1_perfect = build(feats, daily, none, d1_error_mae_f=0.0)
    pd.testing.assert_series_equal(d1_perfect["wx_tmax_f"], honest["wx_tmax_f"])
    site = np.full(len(days), "BWI")
    for tmax, tmin, streams, sd in (
        ("wx_tmax_f", "wx_tmin_f", (wf.STREAM_TMAX, wf.STREAM_TMIN), wf.error_sd(2.5)),
        ("wx_tmax_d1", "wx_tmin_d1", (wf.STREAM_TMAX_D1, wf.STREAM_TMIN_D1), wf.error_sd(wf.D1_ERROR_MAE_F)),
    ):
        e_max, e_min = (sd * wf.standard_normal(site, days, k) for k in streams)
        # Away from the rare day whose error swapped max and min (the pair is then re-ordered).
        kept = (perfect[tmax] + e_max >= perfect[tmin] + e_min).to_numpy()
        assert kept.mean() > 0.95
        np.testing.assert_allclose((honest[tmax] - perfect[tmax])[kept], e_max[kept])
        np.testing.assert_allclose((honest[tmin] - perfect[tmin])[kept], e_min[kept])
    # The draw of a (site, day) does not depend on which other days are in the frame.
    part = feats[days >= pd.Timestamp("2017-08-01")]
    np.testing.assert_allclose(build(part, daily, none)["wx_tmax_f"], honest.loc[part.index, "wx_tmax_f"])
    # Over many days the error's mean absolute value is the configured MAE (2.5 F).
    keys = pd.DataFrame({"site": "BWI", "local_date": pd.date_range("2001-01-01", "2018-12-31")})
    z = wf.standard_normal(keys["site"].to_numpy(), keys["local_date"], 0)
    assert abs(np.mean(np.abs(wf.error_sd(2.5) * z)) - 2.5) < 0.05
    assert abs(z.mean()) < 0.03 and abs(z.std() - 1) < 0.03
    z1 = wf.standard_normal(keys["site"].to_numpy(), keys["local_date"], wf.STREAM_TMAX_D1)
    assert abs(np.mean(np.abs(wf.error_sd(1.5) * z1)) - 1.5) < 0.05
    assert abs(np.corrcoef(z, z1)[0, 1]) < 0.03  # a stream of its own, not a copy of the D draw


def test_observed_lag_day_features_are_days_the_cutoff_has_closed(feats, daily):
    out = day_rows(build(feats, daily, vintage("2017-07-09 08:00", "2017-07-09", 80.0)), feats, "2017-07-10")
    obs = daily.set_index("local_date")
    assert out["wx_obs_tmax_d2"].iloc[0] == obs.loc["2017-07-08", "tmax_f"]
    tmean_7 = obs.loc["2017-07-03", ["tmax_f", "tmin_f"]].mean()
    assert out["wx_tmean_delta_7d"].iloc[0] == pytest.approx(80.0 - tmean_7)
    # D-1's observed daily row closes after the cutoff: it never feeds the issue-time path.
    late = daily.assign(tmax_f=np.where(daily["local_date"] == pd.Timestamp("2017-07-09"), 150.0, daily["tmax_f"]))
    again = day_rows(build(feats, late, vintage("2017-07-09 08:00", "2017-07-09", 80.0)), feats, "2017-07-10")
    assert again["wx_tmax_d1"].iloc[0] == 80.0


def test_several_sites_are_weighted_and_a_zone_without_site_gets_nothing(feats, daily):
    other = daily.assign(site="DCA", tmax_f=daily["tmax_f"] + 8.0, tmin_f=daily["tmin_f"] + 8.0)
    sites = pd.DataFrame({"site": ["BWI", "DCA"], "zone": ["Z1", "Z1"], "weight": [3.0, 1.0]})
    none = vintage("2017-01-01", "2017-01-01", 0.0).iloc[:0]
    two = build(feats, pd.concat([daily, other]), none, mae=0.0, sites=sites)
    one = build(feats, daily, none, mae=0.0)
    np.testing.assert_allclose(two["wx_tmax_f"], one["wx_tmax_f"] + 2.0)
    elsewhere = build(feats, daily, none, sites=SITES.assign(zone="OTHER"))
    assert elsewhere[wf.WEATHER_FEATURES].isna().all().all()
    assert set(elsewhere[wf.WEATHER_KIND]) == {wf.KIND_MISSING}


def test_diurnal_curve_has_its_minimum_at_six_and_maximum_at_fifteen():
    hours = np.arange(24)
    curve = wf.diurnal_temperature(np.full(24, 60.0), np.full(24, 90.0), hours)
    assert curve.argmin() == wf.HOUR_TMIN and curve.argmax() == wf.HOUR_TMAX
    assert curve.min() == 60.0 and curve.max() == 90.0
    assert np.all(np.diff(curve[6:16]) > 0) and np.all(np.diff(curve[15:24]) < 0)
