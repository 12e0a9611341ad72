"""Validation views of ERCOT batches: the frame plus derived check columns the suites read.

Neighbouring-row properties (steps between hours) and cross-column facts (local clock matches
UTC, zones add up to the total) become columns here, so each suite stays a flat list of
Great Expectations checks.
"""

from __future__ import annotations

import pandas as pd

from gridflow import frames as f
from gridflow.frames import ERCOT_TZ


def _with_steps(frame: pd.DataFrame, series: str) -> pd.DataFrame:
    view = frame.sort_values([series, f.INTERVAL_START_UTC], kind="stable").reset_index(drop=True)
    step = view.groupby(series, sort=False)[f.INTERVAL_START_UTC].diff()
    view["hours_since_previous"] = step.dt.total_seconds() / 3600.0
    expected_local = view[f.INTERVAL_START_UTC].dt.tz_convert(ERCOT_TZ).dt.tz_localize(None)
    view["local_matches_utc"] = (expected_local == view[f.INTERVAL_START_LOCAL]).astype(bool)
    return view


def price_view(frame: pd.DataFrame) -> pd.DataFrame:
    """`market_price` rows plus `hours_since_previous` (per node) and `local_matches_utc`."""
    return _with_steps(frame, "node")


def quantity_view(frame: pd.DataFrame) -> pd.DataFrame:
    """`market_quantity` rows plus `hours_since_previous` (per series) and `local_matches_utc`."""
    return _with_steps(frame, "series")


def load_view(frame: pd.DataFrame) -> pd.DataFrame:
    """Canonical load rows plus steps, `local_matches_utc` and `total_minus_zones_mw` (on ERCOT_TOTAL rows)."""
    view = _with_steps(frame, f.ZONE)
    zones = view[view[f.ZONE] != "ERCOT_TOTAL"]
    total = view[view[f.ZONE] == "ERCOT_TOTAL"].set_index(f.INTERVAL_START_UTC)[f.LOAD_MW]
    # Only meaningful when the batch holds every weather zone (a zone filter drops some).
    if zones[f.ZONE].nunique() == 8 and not total.empty:
        summed = zones.groupby(f.INTERVAL_START_UTC)[f.LOAD_MW].sum()
        diff = (total - summed.reindex(total.index)).rename("total_minus_zones_mw")
        view = view.merge(diff, left_on=f.INTERVAL_START_UTC, right_index=True, how="left")
        view.loc[view[f.ZONE] != "ERCOT_TOTAL", "total_minus_zones_mw"] = float("nan")
    else:
        view["total_minus_zones_mw"] = float("nan")
    return view
