"""A documented generator of historical storm outcomes: which assets failed in which past storm.

The outage model learns from these rows and the tests check it learned the hazard stated here, so
the formula below IS the ground truth of every synthetic history.

Storms
------
`n_storms` storms between `start` and `end` (default 2015-2025), event types in Texas-like
proportions and seasons, each with the area it hit (the counties whose centroid lies within the
storm's radius of its centre county) and the figures an NWS warning carries:

| event | share | months | centre | radius km | max gust mph | hail in |
|---|---:|---|---|---:|---|---|
| Severe Thunderstorm Warning | 40 % | Mar-Jul | by assets | 60-130 | 55-80 | 0.75-2.5 (60 %) |
| Tornado Warning | 8 % | Mar-Jun | by assets | 20-45 | 80-135 | 0-2 (50 %) |
| High Wind Warning | 12 % | Jan-Apr | west | 120-220 | 55-75 | - |
| Tropical Storm Warning | 9 % | Jun-Oct | coast | 120-220 | 45-72 | - |
| Hurricane Warning | 7 % | Jul-Oct | coast | 150-260 | 85-140 | - |
| Winter Storm Warning | 12 % | Dec-Feb | north | 150-320 | 25-50 (gust missing 50 %) | - |
| Ice Storm Warning | 12 % | Dec-Feb | north | 120-260 | 20-40 (gust missing 50 %) | - |

Failure hazard (per asset i in storm s)
---------------------------------------
    g_i   = G_s * u_i,  u_i ~ Beta(6, 2)             local gust: the warning's max, attenuated
    eta_i = -6.2 + b_event[e_s] + 2.2 veg_i + 0.025 age_i + b_material[m_i] + b_type[t_i]
            + 0.12 min(outages_5y_i, 15) + 0.35 hail_s + 1.5 veg_i [e_s in {winter, ice}] + eps_s
    H_i   = exp(eta_i) * (g_i / 50) ** 4               Weibull-type cumulative hazard in gust
    p_i   = 1 - exp(-H_i),  failed_i ~ Bernoulli(p_i)

with eps_s ~ N(0, 0.25) a storm-level effect nobody observes (duration, soil saturation),

    b_event    = thunderstorm 0, tornado 0.7, high wind -0.2, tropical storm 0.2, hurricane 0.3,
                 winter storm 1.2, ice storm 2.3
    b_material = wood 0, composite -0.3, concrete -0.6, steel -0.8, underground -2.5
    b_type     = pole 0, transformer -0.4, feeder 1.6 (a feeder locks out if any of its spans fails)

So risk grows steeply with gust (4th power: wind load grows with the square of speed and damage
faster than load), with vegetation (more so under ice), age and past outages, and is lower for
steel, concrete and underground plant. The model sees the warning's max gust G_s, never the local
g_i nor eps_s: those are the irreducible noise. A winter warning without a gust figure still has a
true gust (used for the hazard) but reports NaN.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from gridflow.storm.inventory import COASTAL_FIPS

OUTCOME_COLUMNS = [
    "storm_id", "asset_id", "storm_start_utc", "event", "severity", "max_wind_gust_mph", "max_hail_in",
    "failed",
]


@dataclass(frozen=True)
class _EventSpec:
    event: str
    code: str
    share: float
    months: tuple[int, ...]
    centre: str  # how the centre county is drawn: assets, west, coast, north
    radius_km: tuple[float, float]
    gust_mph: tuple[float, float]
    hail_in: tuple[float, float] | None
    hail_share: float
    gust_missing_share: float
    severity: tuple[str, ...]
    b_event: float


EVENTS: tuple[_EventSpec, ...] = (
    _EventSpec("Severe Thunderstorm Warning", "SV", 0.40, (3, 4, 5, 6, 7), "assets", (60, 130), (55, 80),
               (0.75, 2.5), 0.6, 0.0, ("Severe",), 0.0),
    _EventSpec("Tornado Warning", "TO", 0.08, (3, 4, 5, 6), "assets", (20, 45), (80, 135), (0.0, 2.0), 0.5,
               0.0, ("Extreme",), 0.7),
    _EventSpec("High Wind Warning", "HW", 0.12, (1, 2, 3, 4), "west", (120, 220), (55, 75), None, 0.0, 0.0,
               ("Severe",), -0.2),
    _EventSpec("Tropical Storm Warning", "TR", 0.09, (6, 7, 8, 9, 10), "coast", (120, 220), (45, 72), None,
               0.0, 0.0, ("Severe",), 0.2),
    _EventSpec("Hurricane Warning", "HU", 0.07, (7, 8, 9, 10), "coast", (150, 260), (85, 140), None, 0.0, 0.0,
               ("Extreme",), 0.3),
    _EventSpec("Winter Storm Warning", "WS", 0.12, (12, 1, 2), "north", (150, 320), (25, 50), None, 0.0, 0.5,
               ("Moderate", "Severe"), 1.2),
    _EventSpec("Ice Storm Warning", "IS", 0.12, (12, 1, 2), "north", (120, 260), (20, 40), None, 0.0, 0.5,
               ("Severe",), 2.3),
)
B_MATERIAL = {"wood": 0.0, "composite": -0.3, "concrete": -0.6, "steel": -0.8, "underground": -2.5}
B_TYPE = {"pole": 0.0, "transformer": -0.4, "feeder": 1.6}
INTERCEPT = -6.2
B_VEGETATION = 2.2
B_AGE = 0.025
B_HISTORY = 0.12
HISTORY_CAP = 15
B_HAIL = 0.35
B_ICE_VEGETATION = 1.5
GUST_REFERENCE_MPH = 50.0
GUST_POWER = 4.0
STORM_EFFECT_SD = 0.25


def hazard_probability(
    assets: pd.DataFrame, event: str, gust_mph: float | np.ndarray, hail_in: float = 0.0,
    storm_effect: float = 0.0,
) -> np.ndarray:
    """P(failure) of each asset under the stated hazard at local gust `gust_mph` (see module doc).

    Used by the generator (with the attenuated local gust and the storm effect) and by tests that
    compare the fitted model with the truth.
    """
    spec = _spec(event)
    veg = assets["vegetation_exposure"].to_numpy(dtype=float)
    eta = (
        INTERCEPT + spec.b_event + B_VEGETATION * veg + B_AGE * assets["age_years"].to_numpy(dtype=float)
        + assets["material"].map(B_MATERIAL).fillna(0.0).to_numpy(dtype=float)
        + assets["asset_type"].map(B_TYPE).fillna(0.0).to_numpy(dtype=float)
        + B_HISTORY * np.minimum(assets["outages_5y"].to_numpy(dtype=float), HISTORY_CAP)
        + B_HAIL * (0.0 if hail_in is None or not np.isfinite(hail_in) else hail_in)
        + (B_ICE_VEGETATION * veg if spec.code in ("WS", "IS") else 0.0)
        + storm_effect
    )
    hazard = np.exp(eta) * (np.asarray(gust_mph, dtype=float) / GUST_REFERENCE_MPH) ** GUST_POWER
    return -np.expm1(-hazard)


def generate_storms(inventory: pd.DataFrame, n_storms: int, seed: int = 0, start: str = "2015-01-01",
                    end: str = "2025-12-31") -> pd.DataFrame:
    """The storm catalogue: one row per storm with its start (UTC), event, severity, max gust, max
    hail, storm effect and the counties it hit (a tuple of FIPS), sorted by start."""
    if n_storms < 1:
        raise ValueError(f"n_storms must be positive, got {n_storms}")
    rng = np.random.default_rng(seed)
    counties = _counties(inventory)
    shares = np.array([e.share for e in EVENTS])
    kinds = rng.choice(len(EVENTS), size=n_storms, p=shares / shares.sum())
    years = np.arange(pd.Timestamp(start).year, pd.Timestamp(end).year + 1)
    first, last = pd.Timestamp(start, tz="UTC"), pd.Timestamp(end, tz="UTC") + pd.Timedelta(days=1)
    rows = []
    for k in kinds:
        spec = EVENTS[k]
        while True:  # a month of the event's season in a year of the span, inside [start, end]
            moment = pd.Timestamp(year=int(rng.choice(years)), month=int(rng.choice(spec.months)),
                                  day=int(rng.integers(1, 29)), hour=int(rng.integers(0, 24)), tz="UTC")
            if first <= moment < last:
                break
        centre = _centre(rng, counties, spec.centre)
        radius = rng.uniform(*spec.radius_km)
        hit = counties["county_fips"].to_numpy()[_distance_km(counties, centre) <= radius]
        gust = round(float(rng.uniform(*spec.gust_mph)))
        hail = (round(float(rng.uniform(*spec.hail_in)) * 4) / 4
                if spec.hail_in is not None and rng.random() < spec.hail_share else np.nan)
        rows.append({
            "storm_start_utc": moment, "event": spec.event, "code": spec.code,
            "severity": str(rng.choice(spec.severity)), "true_gust_mph": float(gust),
            "max_wind_gust_mph": np.nan if rng.random() < spec.gust_missing_share else float(gust),
            "max_hail_in": hail, "storm_effect": float(rng.normal(0, STORM_EFFECT_SD)),
            "counties": tuple(sorted(hit)),
        })
    storms = pd.DataFrame(rows).sort_values("storm_start_utc", kind="stable", ignore_index=True)
    storms["storm_id"] = [f"{t:%Y%m%d}-{c}-{i:03d}" for i, (t, c) in
                          enumerate(zip(storms["storm_start_utc"], storms["code"], strict=True), start=1)]
    return storms


def generate_storm_history(inventory: pd.DataFrame, n_storms: int = 40, seed: int = 0,
                           start: str = "2015-01-01", end: str = "2025-12-31") -> pd.DataFrame:
    """The `storm_outcome` rows (`OUTCOME_COLUMNS`): one per storm and asset in the storm's area,
    `failed` drawn from the hazard stated in the module docstring. Same inputs, same frame."""
    storms = generate_storms(inventory, n_storms, seed=seed, start=start, end=end)
    rng = np.random.default_rng([seed, 1])
    by_county = inventory.groupby("county_fips", sort=False).indices
    parts = []
    for storm in storms.itertuples(index=False):
        idx = [by_county[c] for c in storm.counties if c in by_county]
        if not idx:
            continue
        positions = np.sort(np.concatenate(idx))
        assets = inventory.iloc[positions]
        local_gust = storm.true_gust_mph * rng.beta(6, 2, len(assets))
        hail = 0.0 if np.isnan(storm.max_hail_in) else storm.max_hail_in
        p = hazard_probability(assets, storm.event, local_gust, hail, storm.storm_effect)
        n = len(assets)
        parts.append(pd.DataFrame({
            "storm_id": np.repeat(storm.storm_id, n).astype(object),
            "asset_id": assets["asset_id"].to_numpy(),
            "storm_start_utc": pd.DatetimeIndex(np.repeat(storm.storm_start_utc, n)),
            "event": np.repeat(storm.event, n).astype(object),
            "severity": np.repeat(storm.severity, n).astype(object),
            "max_wind_gust_mph": np.full(n, storm.max_wind_gust_mph),
            "max_hail_in": np.full(n, storm.max_hail_in),
            "failed": rng.random(n) < p,
        }))
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in OUTCOME_COLUMNS})
    out = pd.concat(parts, ignore_index=True)[OUTCOME_COLUMNS]
    out["storm_start_utc"] = out["storm_start_utc"].dt.as_unit("ns")
    return out


def _spec(event: str) -> _EventSpec:
    for spec in EVENTS:
        if spec.event == event:
            return spec
    raise ValueError(f"no hazard stated for event {event!r}; known: {[e.event for e in EVENTS]}")


def _counties(inventory: pd.DataFrame) -> pd.DataFrame:
    """The inventory's counties with their asset count and mean position."""
    grouped = inventory.groupby("county_fips", sort=True)
    return pd.DataFrame({
        "county_fips": list(grouped.groups),
        "assets": grouped.size().to_numpy(),
        "latitude": grouped["latitude"].mean().to_numpy(),
        "longitude": grouped["longitude"].mean().to_numpy(),
    })


def _centre(rng: np.random.Generator, counties: pd.DataFrame, how: str) -> tuple[float, float]:
    """(lat, lon) of the storm's centre county, drawn the event's way."""
    weight = counties["assets"].to_numpy(dtype=float)
    if how == "coast":
        coastal = counties["county_fips"].isin(COASTAL_FIPS).to_numpy()
        # An inventory without coast: its south-easternmost counties stand in for it.
        if not coastal.any():
            coastal = (counties["latitude"] - counties["longitude"]).rank(pct=True).to_numpy() <= 0.1
        weight = np.where(coastal, weight**0.5, 0.0)
    elif how == "west":
        weight = weight**0.5 * np.exp((-99.0 - counties["longitude"].to_numpy()).clip(-3, 5))
    elif how == "north":
        weight = weight**0.7 * np.exp(((counties["latitude"].to_numpy()) - 31.0).clip(-3, 4))
    pick = rng.choice(len(counties), p=weight / weight.sum())
    return float(counties["latitude"].iat[pick]), float(counties["longitude"].iat[pick])


def _distance_km(counties: pd.DataFrame, centre: tuple[float, float]) -> np.ndarray:
    lat0, lon0 = np.radians(centre)
    lat = np.radians(counties["latitude"].to_numpy())
    lon = np.radians(counties["longitude"].to_numpy())
    a = np.sin((lat - lat0) / 2) ** 2 + np.cos(lat0) * np.cos(lat) * np.sin((lon - lon0) / 2) ** 2
    return 2 * 6371.0 * np.arcsin(np.sqrt(a))
