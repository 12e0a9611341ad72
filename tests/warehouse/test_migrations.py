"""Alembic migrations: idempotent upgrade, exactly the declared tables, no drift from tables.py."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from gridflow.warehouse.engine import alembic_config, make_engine, upgrade
from gridflow.warehouse.tables import metadata

TABLES = {
    "load_observation", "ingest_ledger", "promotion_audit",
    "market_price", "market_quantity", "meter_interval", "source_document", "ingest_watermark",
    "drift_check",
    "weather_alert", "asset", "storm_outcome", "outage_prediction", "crew_plan", "crew_plan_line",
    "weather_forecast", "weather_observation", "weather_daily", "load_forecast_issued",
    "transformer_reading", "prediction_log", "asset_health_score",
    "plant_hourly",
}


def _head() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def test_upgrade_twice_creates_exactly_the_tables(engine):
    upgrade(engine)
    upgrade(engine)  # second start: must be a no-op, not an error

    names = set(inspect(engine).get_table_names())
    assert names == TABLES | {"alembic_version"}
    with engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() == _head()
        versions = conn.execute(text("SELECT version_num FROM alembic_version")).all()
    assert len(versions) == 1


def test_migration_matches_table_definitions(engine):
    upgrade(engine)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, metadata)
    assert diff == []


def test_upgrade_accepts_a_connection_inside_a_transaction(engine):
    with engine.begin() as conn:
        upgrade(conn)
    assert set(inspect(engine).get_table_names()) >= TABLES


def test_upgrade_by_url_and_in_memory(tmp_path):
    url = f"sqlite:///{tmp_path / 'nested' / 'folder' / 'w.db'}"
    upgrade(url)  # creates the parent folders
    assert set(inspect(make_engine(url)).get_table_names()) >= TABLES

    memory = make_engine("sqlite://")
    upgrade(memory)  # the same pooled connection keeps the in-memory database alive
    assert set(inspect(memory).get_table_names()) >= TABLES


def test_sqlite_pragmas(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'w.db'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() > 0


def test_failed_upgrade_leaves_no_partial_schema(engine):
    # SQLite DDL is transactional only because make_engine emits BEGIN itself.
    with engine.connect() as conn:
        trans = conn.begin()
        upgrade(conn)
        trans.rollback()
    assert not TABLES & set(inspect(engine).get_table_names())


def test_upgrade_on_an_unbegun_connection_leaves_commit_to_the_caller(engine):
    with engine.connect() as conn:
        upgrade(conn)
        assert conn.in_transaction()
        conn.commit()
    assert set(inspect(engine).get_table_names()) >= TABLES


def test_concurrent_upgrades_do_not_race(engine):
    # Several services starting at once all call upgrade(); exactly one creates the schema.
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: upgrade(engine), range(4)))
    assert results == [None] * 4
    with engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() == _head()
