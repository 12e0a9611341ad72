"""A real PJM East week (2017-10-29 .. 2017-11-06, the fall-back day inside) and issued forecasts
of its last days built from it, with known errors."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from gridflow.sources.pjm_load_csv import parse_kaggle_hourly

EXCERPT = Path(__file__).parents[2] / "fixtures" / "issuing" / "PJME_hourly_2017-10-29_2017-11-06_excerpt.csv"
NY = "America/New_York"


@pytest.fixture(scope="session")
def pjme_week() -> pd.DataFrame:
    """Canonical load frame of the excerpt (cut from data/PJME_hourly.csv, original row order)."""
    return parse_kaggle_hourly(EXCERPT).frame


def issued_from_actuals(load: pd.DataFrame, day: str, version: str, bias: float, band: float = 0.05,
                        issued_at: str | None = None) -> pd.DataFrame:
    """Issued rows for local `day` whose P50 is the actual times (1 + bias), band +-`band`, with `actual_mw`."""
    rows = load[load["interval_start_local"].dt.date.astype(str) == day]
    p50 = rows["load_mw"].to_numpy() * (1.0 + bias)
    at = pd.Timestamp(issued_at, tz="UTC") if issued_at else \
        (pd.Timestamp(day) - pd.Timedelta(hours=15)).tz_localize(NY).tz_convert("UTC")
    return pd.DataFrame({
        "zone": rows["zone"].astype(str).to_numpy(), "target_start_utc": rows["interval_start_utc"].to_numpy(),
        "issued_at_utc": at, "model_version": version, "model_name": "load_forecast",
        "target_start_local": rows["interval_start_local"].to_numpy(), "is_dst": rows["is_dst"].to_numpy(),
        "p10_mw": p50 * (1 - band), "p50_mw": p50, "p90_mw": p50 * (1 + band),
        "weather_kind": "none", "weather_site": None, "weather_vintage_utc": pd.NaT, "flow_run_id": None,
        "created_at": pd.Timestamp("2017-11-01", tz="UTC"), "actual_mw": rows["load_mw"].to_numpy(),
    }).assign(target_start_utc=lambda d: pd.to_datetime(d["target_start_utc"], utc=True),
              weather_vintage_utc=lambda d: pd.to_datetime(d["weather_vintage_utc"], utc=True))


@pytest.fixture
def make_issued():
    """`make_issued(load, day, version, bias, band=0.05, issued_at=None)`."""
    return issued_from_actuals

