"""Shared fixtures of the price forecast's unit tests: a real ERCOT DAM excerpt (two hubs, 2022 Q1)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

EXCERPT = Path(__file__).resolve().parents[2] / "fixtures" / "prices" / "ercot_dam_hubs_2022q1.csv"


def read_excerpt() -> pd.DataFrame:
    """The excerpt as `market_price` rows (as the warehouse reader returns them)."""
    frame = pd.read_csv(EXCERPT, dtype={"node": str, "market": str})
    frame["interval_start_utc"] = pd.to_datetime(frame["interval_start_utc"], utc=True)
    frame["interval_start_local"] = pd.to_datetime(frame["interval_start_local"])
    return frame


@pytest.fixture
def excerpt() -> pd.DataFrame:
    """A fresh copy of HB_HOUSTON and HB_NORTH day-ahead prices, 2022-01-01..2022-03-31 (Central)."""
    return read_excerpt()
