"""A documented generator of a realistic sample asset inventory over the 254 Texas counties.

Nothing here reads a real utility's data: it makes an inventory with the shape of one, so the outage
model, the storm response and the benchmarks have something the size and texture of the real thing.

What is real and what is synthetic
----------------------------------
- County FIPS codes are real: Texas is state 48 and its 254 counties are the odd numbers 001..507
  (48001 Anderson .. 48507 Zavala).
- The 56 counties in `NAMED_COUNTIES` (every county above ~100k people, the Gulf coast counties and
  a few regional hubs) carry their real name, an approximate centroid and a rounded 2020 census
  population. The other 198 counties get a synthetic position inside a rough outline of Texas and a
  synthetic small population (log-normal, median ~15k) so that the state totals ~29 million.
- NWS public forecast zones are SYNTHETIC: every county gets one zone (two for counties above
  800k people, three above 2M, split north/south by latitude the way NWS split Harris County),
  numbered TXZ701 upwards from north-west to south-east. Real Texas zone codes are numbered below
  that range, so a real alert's zone code never selects a synthetic zone by accident; real alerts
  match assets through their county (SAME / county UGC) codes.
- Service centers are synthetic: 36 seat counties (the large counties and regional hubs), every
  other county served by the nearest seat, and each zone of a split county its own center
  ("Harris North", "Harris Central", "Harris South").

Assets
------
Assets are spread over counties in proportion to population^0.9 (rural lines serve fewer
customers per asset), placed uniformly within +-0.22 degrees (~25 km) of the county's centroid:

- type: 57 % poles, 40 % transformers, 3 % feeders;
- material: poles mostly wood (80 %), then steel, concrete, composite (fiberglass); transformers
  pole-mounted (wood/steel/composite) or pad-mounted on underground service ("underground", more
  in metro counties); feeders overhead on wood/steel/concrete or underground;
- age (years): gamma-distributed, wood poles mean ~33, transformers ~22, feeders ~35; steel,
  concrete and composite are newer technologies and younger;
- vegetation exposure (share of span under canopy, 0..1): Beta-distributed by region — East Texas
  piney woods (east of 96.5 W) mean ~0.45, Central ~0.30, West Texas (west of 100 W) ~0.12; metro
  counties a third less; underground assets ~0;
- customers served: feeders log-normal median 1,800 (150..8,000), transformers median 8
  (1..80), poles median 60 downstream customers (1..2,000);
- outages in the last 5 years: Poisson with rate growing with vegetation and age (feeders ~2.5 a
  year-span, transformers and poles ~0.15-0.2), capped at 60.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd

# Columns of the `asset` table this generator fills (`updated_at` is stamped by the writer).
ASSET_COLUMNS = [
    "asset_id", "asset_type", "service_center", "county_fips", "nws_zone", "latitude", "longitude",
    "age_years", "material", "vegetation_exposure", "customers_served", "outages_5y",
]
ASSET_TYPES = ("feeder", "transformer", "pole")
MATERIALS = ("wood", "steel", "concrete", "composite", "underground")

# All 254 Texas counties: state FIPS 48, county codes are the odd numbers 001..507.
TEXAS_COUNTY_FIPS: tuple[str, ...] = tuple(f"48{code:03d}" for code in range(1, 508, 2))
TEXAS_POPULATION_2020 = 29_145_505

# (FIPS, name, centroid latitude, centroid longitude, 2020 population rounded): real counties.
NAMED_COUNTIES: tuple[tuple[str, str, float, float, int], ...] = (
    ("48201", "Harris", 29.86, -95.40, 4_731_000),
    ("48113", "Dallas", 32.77, -96.78, 2_614_000),
    ("48439", "Tarrant", 32.77, -97.29, 2_111_000),
    ("48029", "Bexar", 29.45, -98.52, 2_009_000),
    ("48453", "Travis", 30.33, -97.78, 1_290_000),
    ("48085", "Collin", 33.19, -96.57, 1_064_000),
    ("48121", "Denton", 33.21, -97.12, 906_000),
    ("48215", "Hidalgo", 26.40, -98.18, 871_000),
    ("48141", "El Paso", 31.77, -106.24, 866_000),
    ("48157", "Fort Bend", 29.53, -95.77, 823_000),
    ("48339", "Montgomery", 30.30, -95.50, 620_000),
    ("48491", "Williamson", 30.65, -97.60, 609_000),
    ("48061", "Cameron", 26.15, -97.45, 421_000),
    ("48039", "Brazoria", 29.17, -95.43, 372_000),
    ("48027", "Bell", 31.04, -97.48, 371_000),
    ("48355", "Nueces", 27.73, -97.52, 353_000),
    ("48167", "Galveston", 29.38, -94.97, 351_000),
    ("48303", "Lubbock", 33.61, -101.82, 311_000),
    ("48479", "Webb", 27.76, -99.33, 267_000),
    ("48309", "McLennan", 31.55, -97.20, 261_000),
    ("48245", "Jefferson", 29.85, -94.15, 257_000),
    ("48209", "Hays", 30.06, -98.03, 241_000),
    ("48041", "Brazos", 30.66, -96.30, 234_000),
    ("48423", "Smith", 32.38, -95.27, 233_000),
    ("48139", "Ellis", 32.35, -96.80, 192_000),
    ("48251", "Johnson", 32.38, -97.37, 180_000),
    ("48187", "Guadalupe", 29.58, -97.95, 173_000),
    ("48329", "Midland", 31.87, -102.03, 170_000),
    ("48135", "Ector", 31.87, -102.54, 165_000),
    ("48091", "Comal", 29.81, -98.28, 162_000),
    ("48367", "Parker", 32.78, -97.80, 148_000),
    ("48257", "Kaufman", 32.60, -96.29, 145_000),
    ("48441", "Taylor", 32.30, -99.89, 143_000),
    ("48381", "Randall", 34.97, -101.90, 141_000),
    ("48181", "Grayson", 33.63, -96.68, 136_000),
    ("48485", "Wichita", 33.99, -98.70, 129_000),
    ("48183", "Gregg", 32.48, -94.82, 124_000),
    ("48451", "Tom Green", 31.40, -100.46, 120_000),
    ("48375", "Potter", 35.40, -101.89, 119_000),
    ("48397", "Rockwall", 32.89, -96.41, 108_000),
    ("48469", "Victoria", 28.80, -96.97, 91_000),
    ("48291", "Liberty", 30.15, -94.81, 91_000),
    ("48361", "Orange", 30.12, -93.89, 85_000),
    ("48409", "San Patricio", 28.01, -97.52, 68_000),
    ("48473", "Waller", 30.01, -95.99, 56_000),
    ("48199", "Hardin", 30.33, -94.39, 56_000),
    ("48071", "Chambers", 29.71, -94.67, 46_000),
    ("48481", "Wharton", 29.28, -96.22, 41_000),
    ("48321", "Matagorda", 28.82, -95.99, 37_000),
    ("48273", "Kleberg", 27.43, -97.67, 31_000),
    ("48007", "Aransas", 28.10, -97.00, 24_000),
    ("48489", "Willacy", 26.47, -97.65, 21_000),
    ("48057", "Calhoun", 28.44, -96.61, 20_000),
    ("48239", "Jackson", 28.96, -96.58, 15_000),
    ("48391", "Refugio", 28.32, -97.16, 7_000),
    ("48261", "Kenedy", 26.93, -97.63, 400),
)

# Counties on the Gulf of Mexico or its bays: where hurricanes and tropical storms come ashore.
COASTAL_FIPS = frozenset({
    "48061", "48489", "48261", "48273", "48355", "48409", "48007", "48391", "48057", "48239",
    "48321", "48039", "48167", "48071", "48245", "48361", "48201", "48469",
})

# Service-center seats besides the counties above 150k people: hubs of the sparse regions.
_EXTRA_SEATS = ("48375", "48441", "48451", "48485", "48469", "48183")
_SEAT_MIN_POPULATION = 150_000
_ZONE_SPLITS = ((2_000_000, 3), (800_000, 2))  # population above -> zones in the county
_FIRST_ZONE = 701
_HALF_WIDTH_DEG = 0.22  # assets lie within this many degrees of their county's centroid
_COUNTY_LAYOUT_SEED = 48  # the synthetic county layout never changes between inventories

# A rough outline of Texas (longitude, latitude), clockwise from El Paso: synthetic counties are
# placed inside it so they do not land in Oklahoma or the Gulf.
_TEXAS_OUTLINE = np.array([
    (-106.6, 31.9), (-106.6, 32.0), (-103.06, 32.0), (-103.04, 36.5), (-100.0, 36.5), (-100.0, 34.56),
    (-98.0, 33.9), (-96.5, 33.8), (-94.04, 33.55), (-94.04, 31.0), (-93.7, 30.0), (-94.7, 29.4),
    (-95.5, 28.8), (-96.8, 28.2), (-97.3, 27.6), (-97.4, 26.0), (-98.2, 26.1), (-99.1, 26.5),
    (-99.5, 27.5), (-100.3, 28.3), (-101.4, 29.8), (-102.4, 29.8), (-103.1, 29.0), (-104.0, 29.3),
    (-104.7, 30.2), (-105.0, 30.7),
])


def _inside(lon: np.ndarray, lat: np.ndarray, polygon: np.ndarray) -> np.ndarray:
    """Ray casting: True for points inside `polygon` (vertices as (lon, lat) rows)."""
    inside = np.zeros(len(lon), dtype=bool)
    x0, y0 = polygon[:, 0], polygon[:, 1]
    x1, y1 = np.roll(x0, -1), np.roll(y0, -1)
    for a, b, c, d in zip(x0, y0, x1, y1, strict=True):
        crosses = ((b > lat) != (d > lat)) & (lon < (c - a) * (lat - b) / np.where(d == b, 1e-12, d - b) + a)
        inside ^= crosses
    return inside


@cache
def county_table() -> pd.DataFrame:
    """One row per Texas county: FIPS, name, centroid, population, coastal flag, zone count, the
    service-center seat serving it. The layout is fixed (the same for every inventory seed)."""
    rng = np.random.default_rng(_COUNTY_LAYOUT_SEED)
    named = {fips: (name, lat, lon, pop) for fips, name, lat, lon, pop in NAMED_COUNTIES}
    others = [f for f in TEXAS_COUNTY_FIPS if f not in named]
    # Synthetic positions: rejection sampling inside the outline.
    lon_pts: list[float] = []
    lat_pts: list[float] = []
    while len(lon_pts) < len(others):
        lon = rng.uniform(-106.6, -93.5, 4 * len(others))
        lat = rng.uniform(25.9, 36.5, 4 * len(others))
        keep = _inside(lon, lat, _TEXAS_OUTLINE)
        lon_pts += lon[keep].tolist()
        lat_pts += lat[keep].tolist()
    rest = TEXAS_POPULATION_2020 - sum(p for *_, p in NAMED_COUNTIES)
    raw_pop = np.clip(rng.lognormal(np.log(15_000), 1.0, len(others)), 500, 90_000)
    synthetic_pop = np.maximum(np.round(raw_pop * rest / raw_pop.sum(), -2), 300).astype(int)
    rows = [(f, n, la, lo, p) for f, (n, la, lo, p) in named.items()]
    rows += [(f, f"County {f}", round(la, 3), round(lo, 3), int(p))
             for f, la, lo, p in zip(others, lat_pts, lon_pts, synthetic_pop, strict=False)]
    table = pd.DataFrame(rows, columns=["county_fips", "name", "latitude", "longitude", "population"])
    table = table.sort_values("county_fips", ignore_index=True)
    table["coastal"] = table["county_fips"].isin(COASTAL_FIPS)
    table["zones"] = 1
    for threshold, zones in reversed(_ZONE_SPLITS):
        table.loc[table["population"] > threshold, "zones"] = zones
    seats = table[(table["population"] >= _SEAT_MIN_POPULATION) | table["county_fips"].isin(_EXTRA_SEATS)]
    # Nearest seat on an equirectangular projection: exact enough at this scale.
    dx = (table["longitude"].to_numpy()[:, None] - seats["longitude"].to_numpy()[None, :]) * np.cos(np.radians(31))
    dy = table["latitude"].to_numpy()[:, None] - seats["latitude"].to_numpy()[None, :]
    table["seat"] = seats["name"].to_numpy()[np.argmin(dx**2 + dy**2, axis=1)]
    return table


_SPLIT_NAMES = {2: ("North", "South"), 3: ("North", "Central", "South")}


@cache
def zone_table() -> pd.DataFrame:
    """One row per (county, zone part): the synthetic NWS zone code and the service center.

    Part 0 is the northern part of a split county. Zones are numbered from TXZ701 in bands of
    half a degree of latitude from north to south, west to east within a band.
    """
    counties = county_table()
    rows = []
    for county in counties.itertuples(index=False):
        parts = int(county.zones)
        for part in range(parts):
            # Centre latitude of the part: the county's box cut in `parts` horizontal strips.
            offset = _HALF_WIDTH_DEG * (1 - (2 * part + 1) / parts)
            split_name = _SPLIT_NAMES.get(parts)
            center = f"{county.name} {split_name[part]}" if split_name else county.seat
            rows.append((county.county_fips, part, county.latitude + offset, county.longitude, center))
    zones = pd.DataFrame(rows, columns=["county_fips", "part", "latitude", "longitude", "service_center"])
    band = np.floor(-zones["latitude"] * 2)
    order = np.lexsort((zones["longitude"].to_numpy(), band.to_numpy()))
    codes = np.empty(len(zones), dtype=object)
    codes[order] = [f"TXZ{_FIRST_ZONE + i}" for i in range(len(zones))]
    zones["nws_zone"] = codes
    return zones


def generate_inventory(n_assets: int = 200_000, seed: int = 0) -> pd.DataFrame:
    """A synthetic utility's asset inventory with the `asset` table's columns (`ASSET_COLUMNS`).

    Same `n_assets` and `seed` give the same frame. See the module docstring for the
    distributions and for which parts are real (county FIPS, large counties) and which synthetic
    (zones, service centers, small counties' positions).
    """
    if n_assets < 1:
        raise ValueError(f"n_assets must be positive, got {n_assets}")
    rng = np.random.default_rng(seed)
    counties = county_table()
    weight = counties["population"].to_numpy(dtype=float) ** 0.9
    county_idx = rng.choice(len(counties), size=n_assets, p=weight / weight.sum())
    county_idx.sort()  # assets of a county together, as an inventory export lists them
    county = counties.iloc[county_idx]
    lat_off = rng.uniform(-_HALF_WIDTH_DEG, _HALF_WIDTH_DEG, n_assets)
    lon_off = rng.uniform(-_HALF_WIDTH_DEG, _HALF_WIDTH_DEG, n_assets)
    latitude = county["latitude"].to_numpy() + lat_off
    longitude = county["longitude"].to_numpy() + lon_off
    parts = county["zones"].to_numpy()
    # Northern strip is part 0: the same cut zone_table() uses for the zone's centre.
    part = np.minimum(((_HALF_WIDTH_DEG - lat_off) / (2 * _HALF_WIDTH_DEG) * parts).astype(int), parts - 1)
    # zone_table() lists each county's parts in county order: row = first part of county + part.
    zones = zone_table()
    first_part = np.concatenate([[0], np.cumsum(counties["zones"].to_numpy())[:-1]])
    zone_rows = zones.iloc[first_part[county_idx] + part]

    kind = rng.choice(np.array(ASSET_TYPES), size=n_assets, p=[0.03, 0.40, 0.57])
    metro = county["population"].to_numpy() > 500_000
    material = _materials(rng, kind, metro)
    age = _ages(rng, kind, material)
    vegetation = _vegetation(rng, longitude, metro, material)
    customers = _customers(rng, kind)
    outages = _outage_history(rng, kind, vegetation, age)

    letter = np.select([kind == "feeder", kind == "transformer"], ["F", "T"], "P")
    fips = county["county_fips"].to_numpy()
    asset_id = [f"{t}{f}-{i:07d}" for t, f, i in zip(letter, fips, range(1, n_assets + 1), strict=True)]
    return pd.DataFrame({
        "asset_id": asset_id,
        "asset_type": kind.astype(object),
        "service_center": zone_rows["service_center"].to_numpy(),
        "county_fips": fips,
        "nws_zone": zone_rows["nws_zone"].to_numpy(),
        "latitude": latitude.round(5),
        "longitude": longitude.round(5),
        "age_years": age.round(1),
        "material": material.astype(object),
        "vegetation_exposure": vegetation.round(3),
        "customers_served": customers,
        "outages_5y": outages,
    })[ASSET_COLUMNS]


def _materials(rng: np.random.Generator, kind: np.ndarray, metro: np.ndarray) -> np.ndarray:
    """Construction by asset type; metro counties have more underground plant."""
    out = np.empty(len(kind), dtype=object)
    u = rng.random(len(kind))
    shares = {
        # (wood, steel, concrete, composite, underground) cumulative, rural / metro
        "pole": ([0.80, 0.88, 0.95, 1.0, 1.0], [0.76, 0.86, 0.94, 1.0, 1.0]),
        "transformer": ([0.62, 0.68, 0.68, 0.72, 1.0], [0.40, 0.45, 0.45, 0.48, 1.0]),
        "feeder": ([0.68, 0.80, 0.88, 0.88, 1.0], [0.50, 0.62, 0.70, 0.70, 1.0]),
    }
    for name, (rural, urban) in shares.items():
        mask = kind == name
        cumulative = np.where(metro[mask, None], np.array(urban)[None, :], np.array(rural)[None, :])
        idx = (u[mask, None] > cumulative).sum(axis=1)
        out[mask] = np.array(MATERIALS, dtype=object)[np.minimum(idx, len(MATERIALS) - 1)]
    return out


def _ages(rng: np.random.Generator, kind: np.ndarray, material: np.ndarray) -> np.ndarray:
    """Years in service: gamma by type; newer construction (steel, concrete, composite) is younger."""
    mean = np.select([kind == "pole", kind == "transformer"], [33.0, 22.0], 35.0)
    mean = np.where(np.isin(material, ["steel", "concrete"]), mean * 0.6, mean)
    mean = np.where(material == "composite", 9.0, mean)
    shape = 3.0
    return np.clip(rng.gamma(shape, mean / shape), 0.5, 80.0)


def _vegetation(rng: np.random.Generator, longitude: np.ndarray, metro: np.ndarray,
                material: np.ndarray) -> np.ndarray:
    """Share of span under canopy by region: piney woods in the east, open range in the west."""
    a = np.select([longitude > -96.5, longitude > -100.0], [2.5, 1.8], 1.0)
    b = np.select([longitude > -96.5, longitude > -100.0], [3.0, 4.2], 7.0)
    veg = rng.beta(a, b)
    veg = np.where(metro, veg * 0.67, veg)
    return np.where(material == "underground", veg * 0.05, veg)


def _customers(rng: np.random.Generator, kind: np.ndarray) -> np.ndarray:
    """Customers who lose power when the asset fails: thousands per feeder, tens per transformer."""
    feeder = np.clip(rng.lognormal(np.log(1_800), 0.5, len(kind)), 150, 8_000)
    transformer = np.clip(rng.lognormal(np.log(8), 0.6, len(kind)), 1, 80)
    pole = np.clip(rng.lognormal(np.log(60), 1.0, len(kind)), 1, 2_000)
    return np.round(np.select([kind == "feeder", kind == "transformer"], [feeder, transformer], pole)).astype(
        np.int64
    )


def _outage_history(rng: np.random.Generator, kind: np.ndarray, vegetation: np.ndarray,
                    age: np.ndarray) -> np.ndarray:
    """Outages in the last five years: more under trees and on old plant; feeders see many."""
    base = np.select([kind == "feeder", kind == "transformer"], [2.5, 0.15], 0.2)
    rate = base * np.exp(1.2 * vegetation + 0.015 * age)
    return np.minimum(rng.poisson(rate), 60).astype(np.int64)
