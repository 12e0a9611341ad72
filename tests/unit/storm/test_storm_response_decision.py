"""What a storm response does for one alert message, and how its plan reads (pure), plus
`gridflow storm plan` on a warehouse holding a superseded and an active plan."""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

from gridflow.storm.plan import build_crew_plan
from gridflow.storm.response import CANCEL, SCORE, STALE, decide_response, plan_markdown, plan_table


@pytest.mark.parametrize(("message_type", "version", "chain_status", "chain_version", "action"), [
    ("Alert", 1, "active", 1, SCORE),
    ("Update", 2, "active", 2, SCORE),
    ("Alert", 1, "active", 2, STALE),  # a late or repeated delivery of v1 after the Update
    ("Cancel", 3, "cancelled", 3, CANCEL),
    ("Update", 2, "cancelled", 3, CANCEL),  # v2 arriving after the warning was withdrawn
])
def test_decide_response(message_type, version, chain_status, chain_version, action):
    decision = decide_response(message_type, version, chain_status, chain_version)
    assert decision.action == action and f"v{version}" in decision.reason


def scored(n_per_center: int = 4) -> pd.DataFrame:
    rows = [{"asset_id": f"{c}-{i}", "service_center": c, "customers_served": 100 * (i + 1),
             "probability": 0.1 * (i + 1)} for c in ("North", "South", "West") for i in range(n_per_center)]
    return pd.DataFrame(rows)


def stored_plan(plan, plan_id=1, status="active", version=1) -> tuple[dict, list[dict]]:
    row = {"id": plan_id, "status": status, "alert_id": "urn:x", "chain_id": "urn:x", "alert_version": version,
           "model_name": "outage_risk", "model_version": "3", "assets_scored": plan.assets_scored,
           "expected_outages": plan.expected_outages, "expected_customers_out": plan.expected_customers_out,
           "crews_needed": plan.crews_needed, "reason": plan.reason}
    lines = [{"service_center": ln.service_center, "assets_in_area": ln.assets_in_area,
              "expected_outages": ln.expected_outages, "expected_customers_out": ln.expected_customers_out,
              "crews_needed": ln.crews_needed,
              "priority_assets": [{"asset_id": a.asset_id, "probability": a.probability, "customers": a.customers}
                                  for a in ln.priority_assets]} for ln in plan.lines]
    return row, lines


def test_plan_markdown_lists_every_center_or_the_head():
    plan = build_crew_plan(scored(), crews_per_outage=0.5, priority_n=3)
    row, lines = stored_plan(plan)
    full = plan_markdown(row, lines)
    assert "ACTIVE" in full and all(f"| {c} |" in full for c in ("North", "South", "West"))
    assert "North-3 (40%)" in full  # the riskiest asset (most customers x probability) first
    head = plan_markdown(row, lines, head=1)
    assert "… 2 more service centers" in head and head.count("| North |") + head.count("| South |") \
        + head.count("| West |") == 1


def test_plan_table_has_one_row_per_center():
    plan = build_crew_plan(scored(), crews_per_outage=0.5, priority_n=3)
    table = plan_table(stored_plan(plan)[1])
    assert [r["service center"] for r in table] == [ln.service_center for ln in plan.lines]
    assert [r["crews"] for r in table] == [ln.crews_needed for ln in plan.lines]
    assert all(r["priority assets"].split(", ")[0].endswith("-3") for r in table)


def test_storm_plan_cli_prints_the_active_plan_and_history(tmp_path, monkeypatch):
    from gridflow.config import reset_settings
    from gridflow.warehouse.engine import make_engine, upgrade
    from gridflow.warehouse.storm import store_plan
    from gridflow_cli.main import app

    url = f"sqlite:///{tmp_path / 'warehouse.db'}"
    monkeypatch.setenv("GRIDFLOW_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("GRIDFLOW_WAREHOUSE_URL", url)
    reset_settings()
    engine = make_engine(url)
    upgrade(engine)
    with engine.begin() as conn:
        store_plan(conn, build_crew_plan(scored(), 0.5, 3), "chain-1", "msg-1", 1, "outage_risk", "3")
        store_plan(conn, build_crew_plan(scored(6), 0.5, 3), "chain-1", "msg-2", 2, "outage_risk", "3")
    engine.dispose()
    try:
        runner = CliRunner()
        shown = runner.invoke(app, ["storm", "plan", "msg-1"])
        assert shown.exit_code == 0, shown.output
        assert "Crew staging plan 2 — ACTIVE" in shown.output and "version 2" in shown.output
        assert "plan 1 v1 superseded -> plan 2 v2 active" in shown.output
        missing = runner.invoke(app, ["storm", "plan", "nothing-here"])
        assert missing.exit_code == 1 and "no crew plan for nothing-here" in missing.output
    finally:
        reset_settings()
