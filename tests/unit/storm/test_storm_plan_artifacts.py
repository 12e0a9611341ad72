"""How a crew plan reads in its artifacts: where the first assets are, units and time zones, one
artifact key per warning, and an earlier plan's artifact re-headed once it is superseded."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd

from gridflow.storm.plan import LOCATION_COLUMNS, build_crew_plan, priority_asset_ids, with_locations
from gridflow.storm.response import (
    alert_times,
    artifact_key,
    both_times,
    county_label,
    plan_markdown,
    plan_table,
    restamped,
    restamped_description,
)


def located_plan():
    scored = pd.DataFrame([("F1", "Harris North", 2_000, 0.30), ("P1", "Harris North", 100, 0.50),
                           ("T2", "Galveston", 8, 0.10)],
                          columns=["asset_id", "service_center", "customers_served", "probability"])
    plan = build_crew_plan(scored, crews_per_outage=1.0, priority_n=2, context="Severe Thunderstorm Warning v1")
    # T2 is not in the inventory any more: it keeps no location rather than a wrong one.
    places = pd.DataFrame([("F1", "feeder", "48201", "TXZ713", 29.861, -95.402),
                           ("P1", "pole", "48001", "TXZ701", 31.8, -95.6)], columns=LOCATION_COLUMNS)
    return with_locations(plan, places)


def stored(plan, plan_id=1, status="active"):
    row = {"id": plan_id, "status": status, "alert_id": "urn:a", "chain_id": "urn:a", "alert_version": 1,
           "model_name": "outage_risk", "model_version": "3", "assets_scored": plan.assets_scored,
           "expected_outages": plan.expected_outages, "expected_customers_out": plan.expected_customers_out,
           "crews_needed": plan.crews_needed, "reason": plan.reason,
           "created_at": datetime(2024, 6, 1, 15, 5, tzinfo=UTC)}
    lines = [{"service_center": ln.service_center, "assets_in_area": ln.assets_in_area,
              "expected_outages": ln.expected_outages, "expected_customers_out": ln.expected_customers_out,
              "crews_needed": ln.crews_needed, "priority_assets": [a.stored() for a in ln.priority_assets]}
             for ln in plan.lines]
    return row, lines


ALERT = {"event": "Severe Thunderstorm Warning", "area_desc": "Harris, TX", "sent": "2024-06-01T14:58:00Z",
         "onset": "2024-06-01T15:00:00Z", "expires": "2024-06-01T21:00:00Z"}


def test_listed_assets_carry_where_they_are():
    plan = located_plan()
    assert priority_asset_ids(plan) == ["F1", "P1", "T2"]
    f1 = plan.lines[0].priority_assets[0]
    assert (f1.asset_type, f1.county_fips, f1.nws_zone, f1.latitude) == ("feeder", "48201", "TXZ713", 29.861)
    assert f1.stored()["county_fips"] == "48201"
    t2 = plan.lines[1].priority_assets[0]
    assert t2.county_fips is None and set(t2.stored()) == {"asset_id", "probability", "customers"}


def test_markdown_shows_places_units_and_both_time_zones():
    row, lines = stored(located_plan())
    markdown = plan_markdown(row, lines, alert=ALERT)
    assert "F1 (30%), feeder, Harris County (48201), TXZ713" in markdown
    assert "P1 (50%), pole, county 48001, TXZ701" in markdown
    assert "onset 2024-06-01 15:00 UTC (10:00 CDT)" in markdown and "in force 6.0 h" in markdown
    assert "Plan stored 2024-06-01 15:05 UTC (10:05 CDT)" in markdown
    assert "customers are metered customers; % is the asset's outage probability" in markdown


def test_table_rows_name_units_and_locations():
    _, lines = stored(located_plan())
    north, galveston = plan_table(lines)
    assert north["priority assets"] == "F1, P1"
    assert north["where (type, county, NWS zone, lat/lon in degrees)"].startswith(
        "F1: feeder, Harris County (48201), TXZ713, 29.861, -95.402; P1: pole, county 48001")
    assert north["outage probability of the first (%)"] == 30.0
    assert galveston["where (type, county, NWS zone, lat/lon in degrees)"] == "T2: location unknown"
    assert "expected customers out (customers)" in north


def test_times_read_in_utc_and_local_time():
    assert both_times("2024-01-15T03:00:00Z") == "2024-01-15 03:00 UTC (2024-01-14 21:00 CST)"
    assert county_label("48201") == "Harris County (48201)" and county_label("48001") == "county 48001"
    assert alert_times({"event": "Flood Watch"}) == "Flood Watch for an unnamed area."


def test_each_warning_keeps_its_own_artifact_key():
    first = artifact_key("Severe Thunderstorm Warning", "urn:oid:2.49.0.1.840.0.aaa.001.1")
    assert first == artifact_key("Severe Thunderstorm Warning", "urn:oid:2.49.0.1.840.0.aaa.001.1")
    assert first != artifact_key("Severe Thunderstorm Warning", "urn:oid:2.49.0.1.840.0.bbb.001.1")
    assert first.startswith("storm-crew-plan-severe-thunderstorm-warning-")
    assert all(c.islower() or c.isdigit() or c == "-" for c in first)


def test_a_superseded_plans_artifact_is_reheaded_once():
    row, lines = stored(located_plan(), plan_id=4)
    active = plan_markdown(row, lines)
    status, text = restamped(active, {4: "superseded", 5: "active"})
    assert status == "SUPERSEDED"
    assert text.startswith("> **SUPERSEDED**: plan 4 is no longer in force")
    assert "### Crew staging plan 4 — SUPERSEDED" in text and "— ACTIVE" not in text
    assert restamped(text, {4: "superseded"}) is None  # already says so
    status, cancelled = restamped(text, {4: "cancelled"})
    assert cancelled.count("> **") == 1 and "### Crew staging plan 4 — CANCELLED" in cancelled
    assert restamped(active, {4: "active"}) is None
    assert restamped("No crew plan for Flood Watch (v1): stale\n", {4: "superseded"}) is None
    assert restamped_description("active: Severe Thunderstorm Warning v1", "SUPERSEDED") == \
        "superseded: Severe Thunderstorm Warning v1"
