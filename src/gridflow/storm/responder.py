"""The steps of a storm response: load the alert -> score its area -> crew plan -> store | cancel -> report.

Each step is one call of a task in tasks/storm_response.py; the flow picks the branch from the
alert's `ResponseDecision`.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import pandas as pd

from gridflow.config import get_settings
from gridflow.errors import RegistryError, UnknownAlertError
from gridflow.registry import mlflow_registry as registry
from gridflow.runtime import log, mlflow_ready, warehouse
from gridflow.storm.alert_events import alert_payload
from gridflow.storm.features import alert_area, build_features, storm_attributes
from gridflow.storm.plan import PLAN_INPUT_COLUMNS, CrewPlan, build_crew_plan
from gridflow.storm.response import ResponseDecision, decide_response, plan_markdown, plan_table
from gridflow.storm.scoring import score_frame
from gridflow.warehouse import alerts
from gridflow.warehouse import storm as storm_store


@dataclass(frozen=True)
class AlertContext:
    """The alert message a storm response answers, with its chain's state and the decision."""

    alert_id: str
    chain_id: str
    version: int
    message_type: str
    title: str
    payload: dict[str, Any]
    decision: ResponseDecision


@dataclass(frozen=True)
class ScoredArea:
    """Outage probabilities of every asset in an alert's area, from one model version."""

    scored: pd.DataFrame  # PLAN_INPUT_COLUMNS
    model_name: str
    model_version: str
    seconds: dict[str, float] = field(default_factory=dict)

    def __fingerprint__(self) -> str:
        """Cache-key digest from the numbers, not the million asset-id strings: hashing those
        cost 0.7 s per downstream task. Ids follow the probabilities' order, read sorted by id."""
        digest = hashlib.sha256(f"{self.model_name}/{self.model_version}/{len(self.scored)}".encode())
        digest.update(self.scored["probability"].to_numpy(dtype="float64").tobytes())
        digest.update(self.scored["customers_served"].to_numpy(dtype="int64").tobytes())
        if len(self.scored):
            digest.update(f"{self.scored['asset_id'].iloc[0]}/{self.scored['asset_id'].iloc[-1]}".encode())
        return digest.hexdigest()


@dataclass(frozen=True)
class PlanReport:
    """The artifacts of a warning's current plan: markdown always, a table when there is a plan."""

    markdown: str
    description: str
    table: list[dict[str, Any]] | None = None
    table_description: str = ""


def load_alert_context(alert_id: str) -> AlertContext:
    """The stored alert message and what to do about it: score, cancel, or nothing (stale)."""
    with warehouse().connect() as conn:
        message = alerts.get_alert(conn, alert_id)
        if message is None:
            raise UnknownAlertError(f"no weather alert {alert_id!r} in the warehouse; poll or push it first")
        head = alerts.chain_head(conn, message.chain_id) or message
    decision = decide_response(message.message_type, message.chain_version, head.status, head.chain_version)
    log().info("%s v%d (%s): %s", message.title, message.chain_version, message.message_type, decision.reason)
    return AlertContext(message.alert_id, message.chain_id, message.chain_version, message.message_type,
                        message.title, alert_payload(message), decision)


@lru_cache(maxsize=4)
def _native_model(name: str, version: str) -> Any:
    # A serving process answers many alerts with the same champion: load it once.
    return registry.load_native_model(name, version)


def score_alert_area(alert: AlertContext) -> ScoredArea:
    """Score every asset in the alert's counties and zones with the champion; store the scores."""
    settings = get_settings().storm
    mlflow_ready()
    champion = registry.alias_version(settings.model_name, registry.CHAMPION)
    if champion is None:
        raise RegistryError(f"{settings.model_name} has no champion: train and promote one first "
                            f"(`gridflow retrain --model {settings.model_name}`)")
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    model = _native_model(settings.model_name, champion.version)
    seconds["load_model"] = time.perf_counter() - started
    counties, zones = alert_area(alert.payload["same_codes"], alert.payload["ugc_codes"],
                                 alert.payload.get("county_fips", ()))
    started = time.perf_counter()
    with warehouse().connect() as conn:
        assets = storm_store.read_assets(conn, county_fips=counties, nws_zones=zones)
    seconds["read_assets"] = time.perf_counter() - started
    started = time.perf_counter()
    probability = score_frame(model, build_features(assets, storm_attributes(alert.payload)),
                              chunk_rows=settings.score_chunk_rows)
    seconds["score"] = time.perf_counter() - started
    scored = pd.DataFrame({"asset_id": assets["asset_id"].to_numpy(), "service_center": assets["service_center"],
                           "customers_served": assets["customers_served"], "probability": probability})
    started = time.perf_counter()
    with warehouse().begin() as conn:
        storm_store.write_predictions(conn, alert.chain_id, alert.version, champion.version, scored)
    seconds["write_predictions"] = time.perf_counter() - started
    log().info("scored %d assets in %d counties / %d zones with %s v%s (%s)", len(scored), len(counties), len(zones),
               settings.model_name, champion.version, ", ".join(f"{k} {v:.2f} s" for k, v in seconds.items()))
    return ScoredArea(scored[PLAN_INPUT_COLUMNS], settings.model_name, champion.version, seconds)


def plan_crews(alert: AlertContext, area: ScoredArea) -> CrewPlan:
    """Expected outages, customers out and crews per service center, with the assets to check first."""
    settings = get_settings().storm
    return build_crew_plan(area.scored, settings.crews_per_outage, settings.priority_assets_per_center,
                           context=f"{alert.payload['event']} v{alert.version}")


def store_crew_plan(alert: AlertContext, plan: CrewPlan, area: ScoredArea, flow_run_id: str | None) -> int:
    """Store the plan as the warning's active one (superseding older versions'); idempotent per
    (alert version, model version), so a re-delivered event returns the plan already stored."""
    with warehouse().begin() as conn:
        plan_id = storm_store.store_plan(conn, plan, alert.chain_id, alert.alert_id, alert.version,
                                         area.model_name, area.model_version, flow_run_id)
    log().info("plan %d: %s", plan_id, plan.reason)
    return plan_id


def cancel_crew_plan(alert: AlertContext) -> int:
    """Mark the warning's active plan cancelled; returns the plans changed (0 when already done)."""
    with warehouse().begin() as conn:
        changed = storm_store.cancel_plans(conn, alert.chain_id)
    log().info("%s: %d plan(s) cancelled", alert.title, changed)
    return changed


def plan_report(alert: AlertContext) -> PlanReport:
    """The warning's current plan (active, cancelled or superseded) rendered for artifacts."""
    with warehouse().connect() as conn:
        found = storm_store.read_plan(conn, alert.chain_id)
    if found is None:
        markdown = f"No crew plan for {alert.title} (v{alert.version}): {alert.decision.reason}\n"
        return PlanReport(markdown, alert.title[:200])
    plan, lines = found
    return PlanReport(plan_markdown(plan, lines),
                      f"{plan['status']}: {alert.title[:150]} v{plan['alert_version']}",
                      plan_table(lines),
                      f"Plan {plan['id']} ({plan['status']}) for {alert.title} v{plan['alert_version']}")
