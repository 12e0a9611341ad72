"""Table definitions of the warehouse; `migrations/` creates exactly these."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)
from sqlalchemy.dialects.postgresql import JSONB

from gridflow.warehouse.types import UTCDateTime, WallClockDateTime

INGEST_STATUSES = ("started", "loaded", "skipped", "quarantined", "failed")
AUDIT_ACTIONS = ("promote", "reject", "rollback", "keep")

# Stable constraint names keep future Alembic migrations (and SQLite batch mode) predictable.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)

# JSONB on PostgreSQL so the column can be indexed and compared; JSON text on SQLite.
JSONType = JSON().with_variant(JSONB(), "postgresql")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


ingest_ledger = Table(
    "ingest_ledger",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source", String(64), nullable=False),
    Column("dataset", String(64), nullable=False),
    Column("locator", Text, nullable=False),
    Column("content_sha256", String(64), nullable=False, index=True),
    Column("status", String(16), nullable=False),
    Column("rows_read", Integer, nullable=True),
    Column("rows_written", Integer, nullable=True),
    Column("reason", Text, nullable=True),
    Column("details", JSONType, nullable=True),
    Column("started_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime, nullable=True),
    CheckConstraint(_in("status", INGEST_STATUSES), name="status"),
)

load_observation = Table(
    "load_observation",
    metadata,
    Column("zone", String(64), primary_key=True),
    Column("interval_start_utc", UTCDateTime, primary_key=True),
    # The canonical frame holds these as non-null datetime64/bool, so the table refuses NULLs.
    Column("interval_start_local", WallClockDateTime, nullable=False),
    Column("is_dst", Boolean, nullable=False),
    Column("load_mw", Float, nullable=False),
    Column("ingest_id", Integer, ForeignKey("ingest_ledger.id"), nullable=True),
    Column("updated_at", UTCDateTime, nullable=False),
    # Lets an operator find (or purge) everything one ingest wrote.
    Index(None, "ingest_id"),
)

promotion_audit = Table(
    "promotion_audit",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("model_name", String(128), nullable=False),
    Column("action", String(16), nullable=False),
    Column("from_version", String(64), nullable=True),
    Column("to_version", String(64), nullable=True),
    Column("actor", String(128), nullable=False),
    Column("decided_at", UTCDateTime, nullable=False),
    Column("reason", Text, nullable=False),
    Column("metrics", JSONType, nullable=True),
    Column("trigger", Text, nullable=True),
    Column("mlflow_run_id", String(64), nullable=True),
    CheckConstraint(_in("action", AUDIT_ACTIONS), name="action"),
    Index(None, "model_name", "id"),
)
