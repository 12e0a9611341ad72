"""The outage model's features, and which assets an alert's area covers.

`build_features` is the one function that turns asset attributes and storm attributes into model
inputs, for training (storm_outcome rows joined to their assets: storm columns per row) and for
scoring (an alert applied to every asset in its area: storm figures as scalars). One function for
both means no train/serve skew: a test builds the same rows both ways and compares them bit for bit.

Every feature is float64 (an integer column in the MLflow signature would reject NaN at serving
time); a missing gust or hail figure stays NaN, which XGBoost routes down its learnt default branch.
Categories are one-hot columns over fixed vocabularies: an unknown value is all zeros, never an
error, so a new NWS event name or a new pole material still gets a score.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

# NWS event name -> model category. Warnings only: watches and advisories carry no damage figure.
EVENT_CATEGORIES: dict[str, str] = {
    "Severe Thunderstorm Warning": "thunderstorm",
    "Tornado Warning": "tornado",
    "High Wind Warning": "high_wind",
    "Extreme Wind Warning": "high_wind",
    "Tropical Storm Warning": "tropical_storm",
    "Hurricane Warning": "hurricane",
    "Winter Storm Warning": "winter_storm",
    "Blizzard Warning": "winter_storm",
    "Ice Storm Warning": "ice_storm",
}
EVENT_LEVELS = ("thunderstorm", "tornado", "high_wind", "tropical_storm", "hurricane", "winter_storm", "ice_storm")
ASSET_TYPE_LEVELS = ("feeder", "transformer", "pole")
MATERIAL_LEVELS = ("wood", "steel", "concrete", "composite", "underground")
SEVERITY_LEVELS = {"Unknown": 0.0, "Minor": 1.0, "Moderate": 2.0, "Severe": 3.0, "Extreme": 4.0}

# Storm figures a training row carries and an alert payload supplies.
STORM_FIELDS = ("event", "severity", "max_wind_gust_mph", "max_hail_in")

FEATURE_COLUMNS: list[str] = [
    "max_wind_gust_mph", "max_hail_in", "severity_level",
    *(f"event_{e}" for e in EVENT_LEVELS),
    "age_years", "vegetation_exposure", "outages_5y",
    *(f"type_{t}" for t in ASSET_TYPE_LEVELS),
    *(f"material_{m}" for m in MATERIAL_LEVELS),
]

# Postal code -> state FIPS: county UGC codes (TXC201) name the state by its postal code.
STATE_FIPS = {
    "AL": "01", "AK": "02", "AZ": "04", "AR": "05", "CA": "06", "CO": "08", "CT": "09", "DE": "10",
    "DC": "11", "FL": "12", "GA": "13", "HI": "15", "ID": "16", "IL": "17", "IN": "18", "IA": "19",
    "KS": "20", "KY": "21", "LA": "22", "ME": "23", "MD": "24", "MA": "25", "MI": "26", "MN": "27",
    "MS": "28", "MO": "29", "MT": "30", "NE": "31", "NV": "32", "NH": "33", "NJ": "34", "NM": "35",
    "NY": "36", "NC": "37", "ND": "38", "OH": "39", "OK": "40", "OR": "41", "PA": "42", "RI": "44",
    "SC": "45", "SD": "46", "TN": "47", "TX": "48", "UT": "49", "VT": "50", "VA": "51", "WA": "53",
    "WV": "54", "WI": "55", "WY": "56", "PR": "72",
}


def build_features(frame: pd.DataFrame, storm: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Model inputs (`FEATURE_COLUMNS`, float64), one row per row of `frame`, same index.

    `frame` holds asset attributes (asset_type, material, age_years, vegetation_exposure,
    outages_5y). Storm figures (`STORM_FIELDS`) come from `storm` when given (an alert: one value
    for every asset), else from `frame`'s own columns (training rows, one storm per row).
    """
    n = len(frame)

    def storm_value(name: str) -> Any:
        if storm is not None:
            return storm.get(name)
        return frame[name] if name in frame.columns else None

    out: dict[str, np.ndarray] = {
        "max_wind_gust_mph": _numbers(storm_value("max_wind_gust_mph"), n),
        "max_hail_in": _numbers(storm_value("max_hail_in"), n),
        "severity_level": _mapped(storm_value("severity"), n, SEVERITY_LEVELS, default=0.0),
    }
    events = _mapped(storm_value("event"), n, {k: float(EVENT_LEVELS.index(v)) for k, v in EVENT_CATEGORIES.items()},
                     default=-1.0)
    for i, level in enumerate(EVENT_LEVELS):
        out[f"event_{level}"] = (events == i).astype("float64")
    for name in ("age_years", "vegetation_exposure", "outages_5y"):
        out[name] = frame[name].to_numpy(dtype="float64")
    out |= _one_hot(frame["asset_type"], "type", ASSET_TYPE_LEVELS)
    out |= _one_hot(frame["material"], "material", MATERIAL_LEVELS)
    return pd.DataFrame(out, index=frame.index)[FEATURE_COLUMNS]


def storm_attributes(alert: Mapping[str, Any]) -> dict[str, Any]:
    """The storm figures of an alert payload (`STORM_FIELDS`), with missing numbers as NaN."""
    def number(value: Any) -> float:
        try:
            return float(value) if value is not None else float("nan")
        except (TypeError, ValueError):
            return float("nan")

    return {
        "event": alert.get("event"),
        "severity": alert.get("severity"),
        "max_wind_gust_mph": number(alert.get("max_wind_gust_mph")),
        "max_hail_in": number(alert.get("max_hail_in")),
    }


def alert_area(same_codes: Iterable[str] = (), ugc_codes: Iterable[str] = (),
               county_fips: Iterable[str] = ()) -> tuple[set[str], set[str]]:
    """(county FIPS, NWS zone codes) an alert covers.

    Counties come from 6-digit SAME codes (`048201` = 0 + state 48 + county 201), 5-digit FIPS
    (`48201`) and county UGC codes (`TXC201` = state TX + C + county 201); zones are the zone UGC
    codes (`TXZ213`). Malformed codes are ignored: an alert's area is never guessed.
    """
    counties: set[str] = set()
    zones: set[str] = set()
    for code in [*same_codes, *county_fips]:
        text = str(code).strip()
        if text.isdigit() and len(text) == 6:
            counties.add(text[1:])
        elif text.isdigit() and len(text) == 5:
            counties.add(text)
    for code in ugc_codes:
        text = str(code).strip().upper()
        if len(text) != 6 or not text[3:].isdigit():
            continue
        if text[2] == "C" and text[:2] in STATE_FIPS:
            counties.add(STATE_FIPS[text[:2]] + text[3:])
        elif text[2] == "Z":
            zones.add(text)
    return counties, zones


def select_assets(assets: pd.DataFrame, county_fips: Iterable[str], ugc_codes: Iterable[str]) -> np.ndarray:
    """Boolean mask of the assets in an alert's area: county in `county_fips` (SAME or 5-digit
    codes) or in a county UGC of `ugc_codes`, or NWS zone in a zone UGC of `ugc_codes`.

    The union errs on the side of scoring too many assets: when a warning covers one zone of a
    county split in several, its SAME code still names the whole county, and a crew plan that
    stages for a neighbouring zone too is cheaper than one that misses it.
    """
    counties, zones = alert_area(same_codes=(), ugc_codes=ugc_codes, county_fips=county_fips)
    mask = assets["county_fips"].isin(counties).to_numpy(copy=True)
    if zones:
        mask = mask | assets["nws_zone"].isin(zones).to_numpy()
    return mask


def _numbers(value: Any, n: int) -> np.ndarray:
    if isinstance(value, pd.Series):
        return pd.to_numeric(value, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    if value is None:
        return np.full(n, np.nan)
    try:
        return np.full(n, float(value))
    except (TypeError, ValueError):
        return np.full(n, np.nan)


def _mapped(value: Any, n: int, mapping: Mapping[str, float], default: float) -> np.ndarray:
    if isinstance(value, pd.Series):
        # Map the distinct values only: a training frame repeats a handful of events a million times.
        codes, uniques = pd.factorize(value, use_na_sentinel=True)
        table = np.array([mapping.get(u, default) for u in uniques] + [default], dtype="float64")
        return table[codes]  # code -1 (missing) takes the appended default
    return np.full(n, mapping.get(value, default) if isinstance(value, str) else default, dtype="float64")


def _one_hot(series: pd.Series, prefix: str, levels: tuple[str, ...]) -> dict[str, np.ndarray]:
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    position = np.array([levels.index(u) if u in levels else -1 for u in uniques] + [-1])
    which = position[codes]
    return {f"{prefix}_{level}": (which == i).astype("float64") for i, level in enumerate(levels)}


def alert_mask(assets: pd.DataFrame, alert: Mapping[str, Any]) -> np.ndarray:
    """`select_assets` for an alert payload with `same_codes`, `ugc_codes` and/or `county_fips`."""
    counties, _ = alert_area(alert.get("same_codes") or (), (), alert.get("county_fips") or ())
    return select_assets(assets, counties, alert.get("ugc_codes") or ())
