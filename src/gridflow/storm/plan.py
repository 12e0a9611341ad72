"""The crew staging plan: a pure decision from scored assets to crews per service center.

For each service center in the alert's area the plan gives the expected number of outages (the sum
of the assets' outage probabilities: with calibrated probabilities that is the expected count),
the expected customers out (sum of probability x customers served), the crews to stage
(ceil(expected outages x crews per outage)) and the assets to patrol first (highest expected
customers out). Totals are the sums of the lines, crews included: each center stages its own
crews, so rounding up happens per center.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

PLAN_INPUT_COLUMNS = ["asset_id", "service_center", "customers_served", "probability"]
# Where an asset is, looked up for the few assets a plan lists (`with_locations`).
LOCATION_COLUMNS = ["asset_id", "asset_type", "county_fips", "nws_zone", "latitude", "longitude"]


@dataclass(frozen=True)
class PriorityAsset:
    """One asset to check first: its outage probability, the customers behind it and, once looked
    up, where it is (type, county FIPS, NWS zone, degrees latitude / longitude)."""

    asset_id: str
    probability: float
    customers: int
    expected_customers_out: float
    asset_type: str | None = None
    county_fips: str | None = None
    nws_zone: str | None = None
    latitude: float | None = None
    longitude: float | None = None

    def stored(self) -> dict[str, Any]:
        """The JSON a plan line stores for it (location keys only when known)."""
        row = {"asset_id": self.asset_id, "probability": self.probability, "customers": self.customers}
        return row | {k: v for k, v in asdict(self).items() if k in LOCATION_COLUMNS[1:] and v is not None}


@dataclass(frozen=True)
class PlanLine:
    """One service center's share of the plan."""

    service_center: str
    assets_in_area: int
    expected_outages: float
    expected_customers_out: float
    crews_needed: int
    priority_assets: tuple[PriorityAsset, ...]


@dataclass(frozen=True)
class CrewPlan:
    """Crews to stage per service center for one alert, with totals and a sentence saying why."""

    lines: tuple[PlanLine, ...]
    assets_scored: int
    expected_outages: float
    expected_customers_out: float
    crews_needed: int
    crews_per_outage: float
    reason: str

    def as_dict(self) -> dict[str, Any]:
        """JSON-safe form for artifacts and event payloads."""
        return asdict(self)


def crews_for(expected_outages: float, crews_per_outage: float) -> int:
    """Crews to stage for an expected outage count: rounded up, so any expected outage gets a crew."""
    # Rounded first: 0.1 * 30 is 3.0000000000000004 in floating point, which is 3 crews, not 4.
    return math.ceil(round(expected_outages * crews_per_outage, 9))


def build_crew_plan(scored: pd.DataFrame, crews_per_outage: float, priority_n: int, context: str = "") -> CrewPlan:
    """The crew plan for scored assets (`PLAN_INPUT_COLUMNS`: one row per asset in the area).

    Lines are ordered by expected outages, largest first; `priority_n` assets per center are
    listed, ordered by expected customers out. `context` (e.g. "Hurricane Warning v2") starts the
    reason.
    """
    if crews_per_outage <= 0:
        raise ValueError(f"crews_per_outage must be positive, got {crews_per_outage}")
    if priority_n < 0:
        raise ValueError(f"priority_n must be >= 0, got {priority_n}")
    missing = [c for c in PLAN_INPUT_COLUMNS if c not in scored.columns]
    if missing:
        raise ValueError(f"scored frame lacks column(s) {missing}")
    p = scored["probability"].to_numpy(dtype="float64")
    if len(p) and (not np.isfinite(p).all() or p.min() < 0 or p.max() > 1):
        raise ValueError("probabilities must be finite and within [0, 1]")
    customers = scored["customers_served"].to_numpy(dtype="float64")
    risk = p * customers
    codes, centers = pd.factorize(scored["service_center"], sort=True)
    k = len(centers)
    counts = np.bincount(codes, minlength=k)
    outages = np.bincount(codes, weights=p, minlength=k)
    customers_out = np.bincount(codes, weights=risk, minlength=k)

    # Sorted by center, then risk descending (stable: ties keep input order); the first
    # priority_n rows of each center's run are its priority list.
    order = np.lexsort((-risk, codes))
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    asset_ids = scored["asset_id"].to_numpy()
    lines = []
    for c in range(k):
        picked = order[starts[c]: starts[c] + min(priority_n, counts[c])]
        priority = tuple(
            PriorityAsset(str(asset_ids[i]), float(p[i]), int(customers[i]), float(risk[i])) for i in picked
        )
        lines.append(PlanLine(str(centers[c]), int(counts[c]), float(outages[c]), float(customers_out[c]),
                              crews_for(float(outages[c]), crews_per_outage), priority))
    lines.sort(key=lambda line: (-line.expected_outages, line.service_center))
    total_outages = float(sum(line.expected_outages for line in lines))
    total_customers = float(sum(line.expected_customers_out for line in lines))
    total_crews = sum(line.crews_needed for line in lines)
    return CrewPlan(
        lines=tuple(lines), assets_scored=len(scored), expected_outages=total_outages,
        expected_customers_out=total_customers, crews_needed=total_crews, crews_per_outage=crews_per_outage,
        reason=_reason(lines, len(scored), total_outages, total_customers, total_crews, crews_per_outage, context),
    )


def priority_asset_ids(plan: CrewPlan) -> list[str]:
    """Every asset the plan lists to check first, in plan order."""
    return [a.asset_id for line in plan.lines for a in line.priority_assets]


def with_locations(plan: CrewPlan, locations: pd.DataFrame) -> CrewPlan:
    """The plan with each listed asset's location (`LOCATION_COLUMNS`, one row per asset id);
    assets missing from `locations` keep none."""
    found = {str(row["asset_id"]): row for row in locations.to_dict("records")}

    def located(asset: PriorityAsset) -> PriorityAsset:
        row = found.get(asset.asset_id)
        if row is None:
            return asset
        return replace(asset, asset_type=str(row["asset_type"]), county_fips=str(row["county_fips"]),
                       nws_zone=str(row["nws_zone"]), latitude=float(row["latitude"]),
                       longitude=float(row["longitude"]))

    lines = tuple(replace(line, priority_assets=tuple(located(a) for a in line.priority_assets))
                  for line in plan.lines)
    return replace(plan, lines=lines)


def _reason(lines: list[PlanLine], assets: int, outages: float, customers: float, crews: int, rate: float,
            context: str) -> str:
    prefix = f"{context}: " if context else ""
    if not lines:
        return f"{prefix}no assets in the alert area; no crews staged"
    top = lines[0]
    centers = f"{len(lines)} service center{'s' if len(lines) != 1 else ''}"
    return (
        f"{prefix}{outages:,.1f} expected outages and {customers:,.0f} expected customers out across "
        f"{assets:,} assets in {centers}: stage {crews} crew{'s' if crews != 1 else ''} "
        f"({rate:g} per expected outage, rounded up per center); most at {top.service_center} "
        f"({top.expected_outages:,.1f} outages, {top.crews_needed} crews)"
    )
