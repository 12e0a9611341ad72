"""What a storm response does for one alert message (pure): the decision, the flow's result, the
plan as people read it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SCORE, CANCEL, STALE = "score", "cancel", "stale"


@dataclass(frozen=True)
class ResponseDecision:
    """The action for one alert message and a sentence saying why."""

    action: str  # score | cancel | stale
    reason: str


@dataclass(frozen=True)
class StormResponseResult:
    """What one storm-response run did: the message answered, the action taken and the plan stored."""

    alert_id: str
    chain_id: str
    version: int
    action: str  # score | cancel | stale
    reason: str
    plan_id: int | None = None


def decide_response(message_type: str, version: int, chain_status: str, chain_version: int) -> ResponseDecision:
    """Score the message's area, close the warning's plan, or leave it to a later version.

    A Cancel, or any message of a withdrawn warning, closes the plan. A message older than its
    chain's head (a late or repeated delivery after an Update) changes nothing: the head's own
    event builds (or built) the plan that counts.
    """
    if message_type == "Cancel" or chain_status == "cancelled":
        return ResponseDecision(CANCEL, f"the warning was withdrawn ({message_type} v{version}, chain "
                                        f"{chain_status} at v{chain_version}): its plan is cancelled")
    if chain_version > version:
        return ResponseDecision(STALE, f"v{version} was superseded by v{chain_version}; that version's plan counts")
    return ResponseDecision(SCORE, f"v{version} is the warning's latest version: score its area")


def plan_markdown(plan: dict[str, Any], lines: list[dict[str, Any]], head: int | None = None) -> str:
    """A crew plan (row and lines as stored) as markdown: totals, then one row per service center."""
    shown = lines if head is None else lines[:head]
    out = [
        f"### Crew staging plan {plan['id']} — {plan['status'].upper()}",
        "",
        f"Alert `{plan['alert_id']}` (chain `{plan['chain_id']}`, version {plan['alert_version']}), "
        f"model {plan['model_name']} v{plan['model_version']}.",
        "",
        f"**{plan['assets_scored']:,} assets scored · {plan['expected_outages']:,.1f} expected outages · "
        f"{plan['expected_customers_out']:,.0f} expected customers out · {plan['crews_needed']} crews**",
        "",
        plan["reason"],
        "",
        "| service center | assets | expected outages | expected customers out | crews | first to check |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for line in shown:
        first = ", ".join(f"{a['asset_id']} ({a['probability']:.0%})" for a in (line["priority_assets"] or [])[:3])
        out.append(f"| {line['service_center']} | {line['assets_in_area']:,} | {line['expected_outages']:,.1f} | "
                   f"{line['expected_customers_out']:,.0f} | {line['crews_needed']} | {first} |")
    if head is not None and len(lines) > head:
        out.append(f"| … {len(lines) - head} more service centers | | | | | |")
    return "\n".join(out) + "\n"


def plan_table(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A crew plan's lines (as stored) as table rows: one per service center, five assets to check first."""
    return [{"service center": line["service_center"], "assets": line["assets_in_area"],
             "expected outages": round(line["expected_outages"], 2),
             "expected customers out": round(line["expected_customers_out"]),
             "crews": line["crews_needed"],
             "priority assets": ", ".join(a["asset_id"] for a in (line["priority_assets"] or [])[:5])}
            for line in lines]
