"""Weather tables: one write path each, idempotent, point-in-time reads, on both dialects."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from gridflow.warehouse.ledger import start_ingest
from gridflow.warehouse.weather import (
    DAILY_COLUMNS,
    FORECAST_COLUMNS,
    OBSERVATION_COLUMNS,
    read_weather_daily,
    read_weather_forecasts,
    read_weather_observations,
    write_weather_daily,
    write_weather_forecast,
    write_weather_observations,
)


@pytest.fixture
def ingest_id(db) -> int:
    with db.begin() as conn:
        return start_ingest(conn, "test", "weather", "memory://", "0" * 64)


def _vintage(update: str, hours: int = 6, base_f: float = 70.0, site: str = "BWI") -> pd.DataFrame:
    start = pd.Timestamp("2018-08-02 04:00", tz="UTC")
    valid = pd.date_range(start, periods=hours, freq="h").as_unit("ns")
    temps = [base_f + i for i in range(hours)]
    temps[1] = None  # NWS answers null now and then
    return pd.DataFrame({
        "site": site,
        "update_time_utc": pd.Timestamp(update, tz="UTC"),
        "valid_start_utc": valid,
        "valid_end_utc": valid + pd.Timedelta(hours=1),
        "temperature_f": temps,
        "dewpoint_c": 18.5,
        "relative_humidity_pct": 70.0,
        "wind_speed_mph": 5.0,
        "generated_at_utc": pd.Timestamp(update, tz="UTC") + pd.Timedelta(minutes=30),
        "fetched_at_utc": pd.Timestamp("2018-08-01 12:00", tz="UTC"),
    })


def test_forecast_roundtrip_with_exact_dtypes(db, ingest_id):
    frame = _vintage("2018-08-01 10:00")
    with db.begin() as conn:
        assert write_weather_forecast(conn, frame, ingest_id) == 6
    with db.connect() as conn:
        out = read_weather_forecasts(conn, ["BWI"])
    assert list(out.columns) == FORECAST_COLUMNS
    for name in ("update_time_utc", "valid_start_utc", "valid_end_utc", "generated_at_utc", "fetched_at_utc"):
        assert str(out[name].dtype) == "datetime64[ns, UTC]", name
    for name in ("temperature_f", "dewpoint_c", "relative_humidity_pct", "wind_speed_mph"):
        assert out[name].dtype == np.float64, name
    assert out["temperature_f"].isna().sum() == 1  # the null is kept, not dropped or zeroed
    expected = frame.assign(temperature_f=frame["temperature_f"].astype("float64"))
    pd.testing.assert_frame_equal(out, expected, check_dtype=False)


def test_same_vintage_again_is_a_noop_and_first_write_wins(db, ingest_id):
    with db.begin() as conn:
        write_weather_forecast(conn, _vintage("2018-08-01 10:00"), ingest_id)
        # A re-fetch with different values (and fetch time) must not rewrite history.
        again = _vintage("2018-08-01 10:00", base_f=90.0).assign(
            fetched_at_utc=pd.Timestamp("2018-08-01 13:00", tz="UTC"))
        assert write_weather_forecast(conn, again, ingest_id) == 0
    with db.connect() as conn:
        out = read_weather_forecasts(conn, ["BWI"])
    assert out["temperature_f"].iloc[0] == 70.0
    assert out["fetched_at_utc"].iloc[0] == pd.Timestamp("2018-08-01 12:00", tz="UTC")


def test_new_vintage_adds_rows_and_known_by_selects_vintages(db, ingest_id):
    with db.begin() as conn:
        write_weather_forecast(conn, _vintage("2018-08-01 10:00"), ingest_id)
        assert write_weather_forecast(conn, _vintage("2018-08-01 16:00", base_f=75.0), ingest_id) == 6
        write_weather_forecast(conn, _vintage("2018-08-01 10:00", site="IAD"), ingest_id)
    with db.connect() as conn:
        both = read_weather_forecasts(conn, ["BWI"])
        early = read_weather_forecasts(conn, ["BWI"], known_by_utc=pd.Timestamp("2018-08-01 12:00", tz="UTC"))
        exact = read_weather_forecasts(conn, ["BWI"], known_by_utc=pd.Timestamp("2018-08-01 16:00", tz="UTC"))
        window = read_weather_forecasts(
            conn, ["BWI", "IAD"],
            valid_from_utc=pd.Timestamp("2018-08-02 05:00", tz="UTC"),
            valid_to_utc=pd.Timestamp("2018-08-02 07:00", tz="UTC"),
        )
    assert len(both) == 12
    assert both["update_time_utc"].is_monotonic_increasing
    assert set(early["update_time_utc"]) == {pd.Timestamp("2018-08-01 10:00", tz="UTC")}
    assert len(exact) == 12  # update_time == known_by counts as known
    assert len(window) == 6 and window["site"].tolist()[:4] == ["BWI"] * 4
    assert window["valid_start_utc"].min() == pd.Timestamp("2018-08-02 05:00", tz="UTC")


def test_naive_known_by_is_refused(db):
    with db.connect() as conn, pytest.raises(ValueError, match="naive"):
        read_weather_forecasts(conn, ["BWI"], known_by_utc=pd.Timestamp("2018-08-01 12:00"))


def test_empty_reads_have_the_contract_columns(db):
    with db.connect() as conn:
        forecasts = read_weather_forecasts(conn, ["BWI"])
        daily = read_weather_daily(conn, ["BWI"])
        obs = read_weather_observations(conn, ["KBWI"])
    assert list(forecasts.columns) == FORECAST_COLUMNS and forecasts.empty
    assert str(forecasts["update_time_utc"].dtype) == "datetime64[ns, UTC]"
    assert list(daily.columns) == DAILY_COLUMNS and daily.empty
    assert str(daily["local_date"].dtype) == "datetime64[ns]"
    assert list(obs.columns) == OBSERVATION_COLUMNS and obs.empty


def _daily(source: str, tmax: float, days: int = 3) -> pd.DataFrame:
    return pd.DataFrame({
        "site": "BWI",
        "local_date": [date(2018, 8, 1 + i) for i in range(days)],
        "tmax_f": [tmax + i for i in range(days)],
        "tmin_f": [60.0] * days,
        "prcp_in": [None] + [0.1] * (days - 1),
        "source": source,
    })


def test_daily_roundtrip_dtypes_and_date_filters(db, ingest_id):
    with db.begin() as conn:
        assert write_weather_daily(conn, _daily("ghcn_daily", 85.0), ingest_id) == 3
        assert write_weather_daily(conn, _daily("ghcn_daily", 85.0), ingest_id) == 3  # idempotent
    with db.connect() as conn:
        out = read_weather_daily(conn, ["BWI"])
        part = read_weather_daily(conn, ["BWI"], start_date=date(2018, 8, 2), end_date=date(2018, 8, 2))
    assert list(out.columns) == DAILY_COLUMNS
    assert str(out["local_date"].dtype) == "datetime64[ns]"
    assert out["local_date"].tolist() == list(pd.date_range("2018-08-01", periods=3))
    assert out["tmax_f"].tolist() == [85.0, 86.0, 87.0]
    assert np.isnan(out["prcp_in"].iloc[0])
    assert part["local_date"].tolist() == [pd.Timestamp("2018-08-02")]


def test_ghcn_wins_over_observation_derived_rows(db, ingest_id):
    with db.begin() as conn:
        write_weather_daily(conn, _daily("nws_observations", 80.0, days=2), ingest_id)
        write_weather_daily(conn, _daily("ghcn_daily", 85.0, days=1), ingest_id)  # replaces day 1
        assert write_weather_daily(conn, _daily("nws_observations", 70.0, days=2), ingest_id) == 1
    with db.connect() as conn:
        out = read_weather_daily(conn, ["BWI"])
    assert out["source"].tolist() == ["ghcn_daily", "nws_observations"]
    assert out["tmax_f"].tolist() == [85.0, 71.0]


def test_observations_upsert_and_filter(db, ingest_id):
    at = pd.date_range("2018-08-01 00:00", periods=4, freq="h", tz="UTC").as_unit("ns")
    frame = pd.DataFrame({"station": "KBWI", "observed_at_utc": at, "temperature_c": [20.0, None, 22.0, 23.0],
                          "dewpoint_c": 15.0, "quality_control": ["V", "Z", "V", "V"]})
    with db.begin() as conn:
        assert write_weather_observations(conn, frame, ingest_id) == 4
        fixed = frame.assign(temperature_c=[20.0, 21.0, 22.0, 23.0])
        write_weather_observations(conn, fixed, ingest_id)
    with db.connect() as conn:
        out = read_weather_observations(conn, ["KBWI"], start_utc=at[1], end_utc=at[3])
    assert list(out.columns) == OBSERVATION_COLUMNS
    assert out["observed_at_utc"].tolist() == list(at[1:3])
    assert out["temperature_c"].tolist() == [21.0, 22.0]
    assert out["quality_control"].tolist() == ["Z", "V"]
