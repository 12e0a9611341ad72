"""The inspection plan: every transformer whose latest health score is at or above the alarm
threshold, ranked worst first, with how urgent the visit is. Pure: scores in, plan out.

Only the latest score of a unit counts, so a unit that recovered after an oil treatment or a
re-sample drops out of the plan. A unit degraded for several readings in a row ranks above one
with the same score that just crossed, because a trend is stronger evidence than one sample.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

PLAN_COLUMNS = ["rank", "asset_id", "health_index", "threshold", "margin", "urgency", "visit_within_days",
                "degraded_readings", "first_degraded_utc", "reading_id", "model_version"]
SCORE_COLUMNS = ["reading_id", "asset_id", "model_version", "health_index", "threshold", "degraded", "scored_at_utc"]


@dataclass(frozen=True)
class Urgency:
    """How far over the threshold makes a visit urgent, and how soon each kind of visit is due."""

    urgent_margin: float = 20.0
    urgent_days: int = 7
    planned_days: int = 30


DEFAULT_URGENCY = Urgency()


def plan_inspections(scores: pd.DataFrame, urgency: Urgency = DEFAULT_URGENCY) -> pd.DataFrame:
    """Rank the units whose latest score is degraded: worst index first, longer runs of degraded
    readings first among equals; one row per unit (`PLAN_COLUMNS`)."""
    missing = [c for c in SCORE_COLUMNS if c not in scores.columns]
    if missing:
        raise ValueError(f"health scores lack column(s) {missing}")
    if scores.empty:
        return pd.DataFrame(columns=PLAN_COLUMNS)
    ordered = scores.sort_values(["asset_id", "scored_at_utc", "reading_id"])
    latest = ordered.groupby("asset_id", sort=False).tail(1).set_index("asset_id")
    plan = latest[latest["degraded"].astype(bool)].copy()
    runs = {asset: _trailing_run(group) for asset, group in ordered.groupby("asset_id", sort=False)
            if asset in plan.index}
    plan["degraded_readings"] = [runs[asset][0] for asset in plan.index]
    plan["first_degraded_utc"] = [runs[asset][1] for asset in plan.index]
    plan["margin"] = (plan["health_index"] - plan["threshold"]).round(2)
    urgent = plan["margin"] >= urgency.urgent_margin
    plan["urgency"] = urgent.map({True: "urgent", False: "planned"})
    plan["visit_within_days"] = urgent.map({True: urgency.urgent_days, False: urgency.planned_days})
    plan = plan.reset_index().sort_values(["health_index", "degraded_readings", "asset_id"],
                                          ascending=[False, False, True], kind="mergesort")
    plan.insert(0, "rank", range(1, len(plan) + 1))
    plan["health_index"] = plan["health_index"].round(2)
    return plan.loc[:, PLAN_COLUMNS].reset_index(drop=True)


def plan_markdown(plan: pd.DataFrame, trigger: str) -> str:
    """The plan as the Prefect artifact shows it: a summary line, then one table row per unit."""
    if plan.empty:
        return f"# Transformer inspection plan\n\nTriggered by {trigger}. No unit is over its alarm threshold."
    urgent = int((plan["urgency"] == "urgent").sum())
    lines = [
        "# Transformer inspection plan", "",
        f"Triggered by {trigger}. {len(plan)} unit(s) over the alarm threshold, {urgent} urgent.", "",
        "| rank | asset | health index | over threshold | visit | within (days) | degraded readings | since |",
        "|---:|---|---:|---:|---|---:|---:|---|",
    ]
    for row in plan.itertuples(index=False):
        lines.append(f"| {row.rank} | {row.asset_id} | {row.health_index:.1f} | {row.margin:+.1f} | {row.urgency} "
                     f"| {row.visit_within_days} | {row.degraded_readings} | {row.first_degraded_utc} |")
    return "\n".join(lines)


def _trailing_run(group: pd.DataFrame) -> tuple[int, object]:
    # How many of the unit's last readings in a row are degraded, and when that run began.
    flags = group["degraded"].astype(bool).to_list()
    count = 0
    for flag in reversed(flags):
        if not flag:
            break
        count += 1
    return count, (group["scored_at_utc"].iloc[-count] if count else None)
