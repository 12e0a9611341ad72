"""What a storm response does for one alert message (pure): the decision, the flow's result, the
plan as people read it."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from gridflow.frames import ERCOT_TZ
from gridflow.run_names import name_part
from gridflow.storm.inventory import NAMED_COUNTIES

SCORE, CANCEL, STALE = "score", "cancel", "stale"
# Times are stored in UTC; plans also show the service territory's prevailing time (Texas: Central).
LOCAL_TZ = ZoneInfo(ERCOT_TZ)
ARTIFACT_KEY = "storm-crew-plan"
_COUNTY_NAMES = {fips: name for fips, name, *_ in NAMED_COUNTIES}
_PLAN_HEADER = re.compile(r"^### Crew staging plan (\d+) — ([A-Z]+)$", re.MULTILINE)
_BANNER = re.compile(r"\A> \*\*[A-Z]+\*\*[^\n]*\n\n")


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


def plan_markdown(plan: dict[str, Any], lines: list[dict[str, Any]], head: int | None = None,
                  alert: Mapping[str, Any] | None = None) -> str:
    """A crew plan (row and lines as stored) as markdown: the alert's times (UTC and local), totals
    with units, then one row per service center with where its first assets to check are."""
    shown = lines if head is None else lines[:head]
    out = [
        f"### Crew staging plan {plan['id']} — {plan['status'].upper()}",
        "",
        f"Alert `{plan['alert_id']}` (chain `{plan['chain_id']}`, version {plan['alert_version']}), "
        f"model {plan['model_name']} v{plan['model_version']}.",
        "",
    ]
    if alert is not None:
        out += [alert_times(alert), ""]
    if plan.get("created_at") is not None:
        out += [f"Plan stored {both_times(plan['created_at'])}.", ""]
    out += [
        f"**{plan['assets_scored']:,} assets scored · {plan['expected_outages']:,.1f} expected outages · "
        f"{plan['expected_customers_out']:,.0f} expected customers out · {plan['crews_needed']} crews**",
        "",
        plan["reason"],
        "",
        "Counts are assets and outages; customers are metered customers; % is the asset's outage "
        "probability; positions are degrees (WGS 84).",
        "",
        "| service center | assets | expected outages | expected customers out | crews | "
        "first to check (outage probability, type, county, NWS zone) |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for line in shown:
        first = "; ".join(f"{a['asset_id']} ({a['probability']:.0%}){_where(a, ', ')}"
                          for a in (line["priority_assets"] or [])[:3])
        out.append(f"| {line['service_center']} | {line['assets_in_area']:,} | {line['expected_outages']:,.1f} | "
                   f"{line['expected_customers_out']:,.0f} | {line['crews_needed']} | {first} |")
    if head is not None and len(lines) > head:
        out.append(f"| … {len(lines) - head} more service centers | | | | | |")
    return "\n".join(out) + "\n"


def plan_table(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A crew plan's lines (as stored) as table rows with units: one per service center, five
    assets to check first and where they are."""
    rows = []
    for line in lines:
        first = (line["priority_assets"] or [])[:5]
        rows.append({
            "service center": line["service_center"], "assets": line["assets_in_area"],
            "expected outages": round(line["expected_outages"], 2),
            "expected customers out (customers)": round(line["expected_customers_out"]),
            "crews": line["crews_needed"],
            "priority assets": ", ".join(a["asset_id"] for a in first),
            "where (type, county, NWS zone, lat/lon in degrees)": "; ".join(
                f"{a['asset_id']}{_where(a, ': ', coordinates=True) or ': location unknown'}" for a in first),
            "outage probability of the first (%)": round(100 * first[0]["probability"], 1) if first else None,
        })
    return rows


def county_label(fips: str) -> str:
    """`Harris County (48201)` for a named county, `county 48001` otherwise."""
    name = _COUNTY_NAMES.get(fips)
    return f"{name} County ({fips})" if name else f"county {fips}"


def both_times(value: datetime | str) -> str:
    """An instant in UTC and in the service territory's local time: `2024-06-01 15:00 UTC (10:00 CDT)`."""
    moment = datetime.fromisoformat(value.replace("Z", "+00:00")) if isinstance(value, str) else value
    utc, local = moment.astimezone(ZoneInfo("UTC")), moment.astimezone(LOCAL_TZ)
    same_day = utc.date() == local.date()
    return f"{utc:%Y-%m-%d %H:%M} UTC ({local:{'%H:%M' if same_day else '%Y-%m-%d %H:%M'} %Z})"


def alert_times(alert: Mapping[str, Any]) -> str:
    """The alert's sent, onset and expiry times (UTC and local) and how long it lasts, in hours."""
    parts = [f"{label} {both_times(alert[key])}" for key, label in
             (("sent", "Sent"), ("onset", "onset"), ("expires", "expires")) if alert.get(key)]
    start, end = alert.get("onset") or alert.get("effective") or alert.get("sent"), alert.get("expires")
    if start and end:
        hours = (datetime.fromisoformat(end.replace("Z", "+00:00"))
                 - datetime.fromisoformat(start.replace("Z", "+00:00"))).total_seconds() / 3600
        parts.append(f"in force {hours:.1f} h")
    where = f"{alert.get('event', 'Alert')} for {alert.get('area_desc') or 'an unnamed area'}"
    return f"{where}: {', '.join(parts)}." if parts else f"{where}."


def artifact_key(event: str | None, chain_id: str) -> str:
    """The artifact key of one warning's plan (every version of it): its event and a digest of its
    chain id, so each warning keeps its own artifact and a newer one never hides an older one."""
    digest = hashlib.sha256(chain_id.encode()).hexdigest()[:10]
    return f"{ARTIFACT_KEY}-{name_part(event or 'alert', 40, lower=True)}-{digest}"


def restamped(markdown: str, statuses: Mapping[int, str]) -> tuple[str, str] | None:
    """(status, markdown) of an earlier plan's artifact re-headed with the plan's status now
    (`SUPERSEDED`, `CANCELLED`) under a banner; None when it already says so or is not a plan."""
    found = _PLAN_HEADER.search(markdown)
    if found is None or int(found.group(1)) not in statuses:
        return None
    status = statuses[int(found.group(1))].upper()
    if status == found.group(2):
        return None
    text = markdown[:found.start()] + f"### Crew staging plan {found.group(1)} — {status}" + markdown[found.end():]
    banner = (f"> **{status}**: plan {found.group(1)} is no longer in force; the warning's current plan is "
              "the latest version of this artifact key.\n\n")
    return status, banner + _BANNER.sub("", text)


def restamped_description(description: str | None, status: str) -> str:
    """A plan artifact's description (`active: <alert> v1`) with the plan's status now."""
    return f"{status.lower()}: {(description or '').split(': ', 1)[-1]}"


def _where(asset: Mapping[str, Any], lead: str, coordinates: bool = False) -> str:
    if not asset.get("county_fips"):
        return ""
    place = f"{asset.get('asset_type') or 'asset'}, {county_label(asset['county_fips'])}, {asset.get('nws_zone', '')}"
    if coordinates and asset.get("latitude") is not None:
        place += f", {asset['latitude']:.3f}, {asset['longitude']:.3f}"
    return f"{lead}{place}"
