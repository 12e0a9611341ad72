"""Storm-response storage on SQLite and PostgreSQL: inventory, outcomes, predictions, crew plans."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from gridflow.storm.history import generate_storm_history
from gridflow.storm.inventory import ASSET_COLUMNS, generate_inventory
from gridflow.storm.plan import build_crew_plan
from gridflow.warehouse import storm as ws


@pytest.fixture(scope="module")
def inventory() -> pd.DataFrame:
    return generate_inventory(600, seed=5)


def _count(db, table: str, where: str = "") -> int:
    with db.connect() as conn:
        return conn.execute(sa.text(f"SELECT count(*) FROM {table} {where}")).scalar_one()


def _plan(inventory: pd.DataFrame, scale: float = 1.0):
    rng = np.random.default_rng(0)
    scored = inventory[["asset_id", "service_center", "customers_served"]].head(200).assign(
        probability=np.clip(rng.beta(1, 30, 200) * scale, 0, 1))
    return build_crew_plan(scored, crews_per_outage=0.25, priority_n=3, context="Hurricane Warning")


def test_assets_round_trip_and_area_filters(db, inventory):
    with db.begin() as conn:
        assert ws.write_assets(conn, inventory) == len(inventory)
    with db.begin() as conn:  # the same inventory again: upsert, no new rows
        ws.write_assets(conn, inventory)
    assert _count(db, "asset") == len(inventory)

    with db.connect() as conn:
        everything = ws.read_assets(conn)
        harris = ws.read_assets(conn, county_fips={"48201"})
        zone = inventory["nws_zone"].iloc[-1]
        by_zone = ws.read_assets(conn, nws_zones=[zone])
        either = ws.read_assets(conn, county_fips={"48201"}, nws_zones=[zone])
        nothing = ws.read_assets(conn, county_fips=set(), nws_zones=set())
    expected = inventory.sort_values("asset_id", ignore_index=True)
    pd.testing.assert_frame_equal(everything[ASSET_COLUMNS], expected, check_dtype=False)
    assert everything["age_years"].dtype == "float64" and everything["outages_5y"].dtype == "int64"
    assert set(harris["asset_id"]) == set(inventory.loc[inventory["county_fips"] == "48201", "asset_id"])
    assert len(harris) > 0
    assert set(by_zone["asset_id"]) == set(inventory.loc[inventory["nws_zone"] == zone, "asset_id"])
    assert set(either["asset_id"]) == set(harris["asset_id"]) | set(by_zone["asset_id"])
    assert nothing.empty and list(nothing.columns) == ASSET_COLUMNS


def test_training_frame_joins_outcomes_to_assets(db, inventory):
    history = generate_storm_history(inventory, n_storms=8, seed=5)
    with db.begin() as conn:
        ws.write_assets(conn, inventory)
        assert ws.write_storm_outcomes(conn, history) == len(history)
        ws.write_storm_outcomes(conn, history)  # idempotent
    with db.connect() as conn:
        frame = ws.read_training_frame(conn)
    assert list(frame.columns) == ws.TRAINING_COLUMNS
    assert len(frame) == len(history) == _count(db, "storm_outcome")
    assert str(frame["storm_start_utc"].dt.tz) == "UTC"
    assert frame["failed"].dtype == bool and frame["failed"].sum() == history["failed"].sum()
    assert frame["storm_start_utc"].is_monotonic_increasing
    merged = history.merge(frame, on=["storm_id", "asset_id"], suffixes=("", "_db"))
    assert (merged["storm_start_utc"] == merged["storm_start_utc_db"]).all()
    # Missing warning figures stay missing (winter warnings without a gust).
    np.testing.assert_array_equal(merged["max_wind_gust_mph"].isna(), merged["max_wind_gust_mph_db"].isna())
    by_asset = frame.drop_duplicates("asset_id").set_index("asset_id")
    truth = inventory.set_index("asset_id").loc[by_asset.index]
    np.testing.assert_allclose(by_asset["vegetation_exposure"], truth["vegetation_exposure"])


def test_predictions_are_idempotent_per_alert_version_and_model_version(db, inventory):
    scores = pd.DataFrame({"asset_id": inventory["asset_id"], "probability": np.linspace(0, 1, len(inventory))})
    with db.begin() as conn:
        assert ws.write_predictions(conn, "chain-1", 1, "3", scores) == len(inventory)
    with db.begin() as conn:  # the alert event delivered again: the same rows are already there
        assert ws.write_predictions(conn, "chain-1", 1, "3", scores.iloc[::-1]) == 0
    assert _count(db, "outage_prediction") == len(inventory)

    changed = scores.assign(probability=scores["probability"] / 2)
    with db.begin() as conn:
        ws.write_predictions(conn, "chain-1", 1, "3", changed.head(100))  # rescored: replaces the key
        ws.write_predictions(conn, "chain-1", 2, "3", scores)  # next alert version: its own rows
    assert _count(db, "outage_prediction") == 100 + len(inventory)
    with db.connect() as conn:
        stored = ws.read_predictions(conn, "chain-1", 1, "3")
    expected = changed.head(100).sort_values("asset_id", ignore_index=True)
    pd.testing.assert_frame_equal(stored, expected, check_dtype=False)


def test_store_plan_is_idempotent_and_newer_versions_supersede(db, inventory):
    plan = _plan(inventory)
    with db.begin() as conn:
        first = ws.store_plan(conn, plan, "chain-A", "alert-1", 1, "outage_risk", "3", flow_run_id="run-1")
    with db.begin() as conn:  # the same event delivered twice more
        assert ws.store_plan(conn, plan, "chain-A", "alert-1", 1, "outage_risk", "3", flow_run_id="run-2") == first
        assert ws.store_plan(conn, plan, "chain-A", "alert-1", 1, "outage_risk", "3") == first
    assert _count(db, "crew_plan") == 1
    assert _count(db, "crew_plan_line") == len(plan.lines)

    update = _plan(inventory, scale=3.0)
    with db.begin() as conn:
        second = ws.store_plan(conn, update, "chain-A", "alert-2", 2, "outage_risk", "3")
    assert second != first
    with db.connect() as conn:
        row, lines = ws.read_plan(conn, "chain-A")
        by_old_alert = ws.read_plan(conn, "alert-1")
        history = ws.list_plans(conn, "chain-A")
    assert row["id"] == second and row["status"] == "active" and row["alert_version"] == 2
    assert row["crews_needed"] == update.crews_needed and row["reason"] == update.reason
    assert [h["status"] for h in history] == ["superseded", "active"]
    assert by_old_alert[0]["id"] == first and by_old_alert[0]["status"] == "superseded"
    assert [line["service_center"] for line in lines] == [line.service_center for line in update.lines]
    top = update.lines[0]
    assert lines[0]["crews_needed"] == top.crews_needed
    assert lines[0]["priority_assets"][0]["asset_id"] == top.priority_assets[0].asset_id
    assert lines[0]["priority_assets"][0]["customers"] == top.priority_assets[0].customers
    assert _count(db, "crew_plan", "WHERE status = 'active'") == 1

    # A late delivery of version 1 scored by a newer model must not displace version 2's plan.
    with db.begin() as conn:
        late = ws.store_plan(conn, plan, "chain-A", "alert-1", 1, "outage_risk", "4")
    with db.connect() as conn:
        row, _ = ws.read_plan(conn, "chain-A")
        statuses = {h["id"]: h["status"] for h in ws.list_plans(conn, "chain-A")}
    assert row["id"] == second and statuses[late] == "superseded"


def test_cancel_ends_the_chain(db, inventory):
    plan = _plan(inventory)
    with db.begin() as conn:
        ws.store_plan(conn, plan, "chain-B", "b-1", 1, "outage_risk", "3")
        ws.store_plan(conn, plan, "chain-C", "c-1", 1, "outage_risk", "3")
    with db.begin() as conn:
        assert ws.cancel_plans(conn, "chain-B") == 1
    with db.begin() as conn:
        assert ws.cancel_plans(conn, "chain-B") == 0  # a repeated Cancel changes nothing
        assert ws.cancel_plans(conn, "no-such-chain") == 0
    with db.begin() as conn:  # an update delivered after the Cancel
        late = ws.store_plan(conn, plan, "chain-B", "b-2", 2, "outage_risk", "3")
    with db.connect() as conn:
        row, _ = ws.read_plan(conn, "chain-B")
        other, _ = ws.read_plan(conn, "c-1")
        missing = ws.read_plan(conn, "nothing-here")
    assert row["id"] == late and row["status"] == "cancelled"
    assert other["status"] == "active"
    assert missing is None
    assert _count(db, "crew_plan", "WHERE status = 'active'") == 1


def test_the_schema_refuses_a_second_active_plan(db, inventory):
    plan = _plan(inventory)
    with db.begin() as conn:
        ws.store_plan(conn, plan, "chain-D", "d-1", 1, "outage_risk", "3")
    row = {"chain_id": "chain-D", "alert_id": "d-2", "alert_version": 2, "model_name": "outage_risk",
           "model_version": "3", "status": "active", "assets_scored": 1, "expected_outages": 0.0,
           "expected_customers_out": 0.0, "crews_needed": 0, "reason": "x",
           "created_at": pd.Timestamp("2026-01-01", tz="UTC"), "updated_at": pd.Timestamp("2026-01-01", tz="UTC")}
    from gridflow.warehouse.tables import crew_plan

    with pytest.raises(sa.exc.IntegrityError), db.begin() as conn:
        conn.execute(sa.insert(crew_plan).values(**row))


def test_an_empty_plan_is_stored_without_lines(db, inventory):
    empty = build_crew_plan(pd.DataFrame(columns=["asset_id", "service_center", "customers_served", "probability"]),
                            crews_per_outage=0.25, priority_n=3)
    with db.begin() as conn:
        plan_id = ws.store_plan(conn, empty, "chain-E", "e-1", 1, "outage_risk", "3")
    with db.connect() as conn:
        row, lines = ws.read_plan(conn, "chain-E")
    assert row["id"] == plan_id and row["crews_needed"] == 0 and lines == []
    assert "no assets" in row["reason"]
