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
    # PJM metered load is preliminary first and verified later; NULL where the source has no flag.
    Column("is_verified", Boolean, nullable=True),
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

# ---- Source tables (revision 0002) -------------------------------------------------------------

METER_CHANNELS = ("consumption", "generation")

market_price = Table(
    "market_price",
    metadata,
    Column("market", String(32), primary_key=True),  # e.g. ERCOT_DAM, PJM_DA
    Column("node", String(128), primary_key=True),  # settlement point / pnode
    Column("interval_start_utc", UTCDateTime, primary_key=True),
    Column("interval_minutes", Integer, nullable=False),
    Column("interval_start_local", WallClockDateTime, nullable=False),
    Column("is_dst", Boolean, nullable=False),
    Column("price_usd_per_mwh", Float, nullable=False),
    Column("ingest_id", Integer, ForeignKey("ingest_ledger.id"), nullable=True),
    Column("updated_at", UTCDateTime, nullable=False),
    Index(None, "ingest_id"),
)

market_quantity = Table(
    "market_quantity",
    metadata,
    Column("market", String(32), primary_key=True),
    Column("series", String(64), primary_key=True),  # e.g. dam_total_energy_sold
    Column("interval_start_utc", UTCDateTime, primary_key=True),
    Column("interval_minutes", Integer, nullable=False),
    Column("interval_start_local", WallClockDateTime, nullable=False),
    Column("is_dst", Boolean, nullable=False),
    Column("value", Float, nullable=False),
    Column("unit", String(16), nullable=False),
    Column("ingest_id", Integer, ForeignKey("ingest_ledger.id"), nullable=True),
    Column("updated_at", UTCDateTime, nullable=False),
    Index(None, "ingest_id"),
)

meter_interval = Table(
    "meter_interval",
    metadata,
    Column("meter_id", String(64), primary_key=True),  # ESIID or service point
    Column("channel", String(16), primary_key=True),
    Column("interval_start_utc", UTCDateTime, primary_key=True),
    Column("interval_minutes", Integer, nullable=False),
    Column("interval_start_local", WallClockDateTime, nullable=False),
    Column("is_dst", Boolean, nullable=False),
    Column("kwh", Float, nullable=False),
    Column("is_estimated", Boolean, nullable=False),
    # Ledger id of the file that wrote the row: a later file wins, unless it would replace an
    # actual reading by an estimate.
    Column("ingest_id", Integer, ForeignKey("ingest_ledger.id"), nullable=True),
    Column("updated_at", UTCDateTime, nullable=False),
    CheckConstraint(_in("channel", METER_CHANNELS), name="channel"),
    Index(None, "ingest_id"),
)

source_document = Table(
    "source_document",
    metadata,
    Column("source", String(64), primary_key=True),  # e.g. ercot_mis
    Column("doc_id", String(64), primary_key=True),
    Column("report", String(64), nullable=False),  # report type id or feed
    Column("name", Text, nullable=False),  # constructed name: a re-publication keeps it
    Column("published_at", UTCDateTime, nullable=True),
    Column("ingest_id", Integer, ForeignKey("ingest_ledger.id"), nullable=True),
    Column("superseded_by", String(64), nullable=True),
    Column("updated_at", UTCDateTime, nullable=False),
    Index(None, "source", "name"),
)

ingest_watermark = Table(
    "ingest_watermark",
    metadata,
    Column("source", String(64), primary_key=True),  # e.g. pjm_api
    Column("stream", String(128), primary_key=True),  # e.g. hrl_load_metered/AE
    Column("watermark_utc", UTCDateTime, nullable=False),  # everything before it is loaded
    Column("details", JSONType, nullable=True),
    Column("updated_at", UTCDateTime, nullable=False),
)

# ---- Model monitoring (revision 0003) ----------------------------------------------------------

DRIFT_ACTIONS = ("retrain", "warn", "ok")

drift_check = Table(
    "drift_check",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("model_name", String(128), nullable=False),
    Column("model_version", String(64), nullable=True),  # None: there was no champion to check
    Column("checked_at", UTCDateTime, nullable=False),
    Column("window_start_utc", UTCDateTime, nullable=True),
    Column("window_end_utc", UTCDateTime, nullable=True),
    Column("reference_rows", Integer, nullable=True),
    Column("current_rows", Integer, nullable=True),
    Column("drift_method", String(32), nullable=True),
    Column("drift_threshold", Float, nullable=True),
    Column("drift_share", Float, nullable=True),
    Column("feature_scores", JSONType, nullable=True),
    Column("drifted_features", JSONType, nullable=True),
    Column("prediction_drift", Float, nullable=True),
    Column("accuracy", JSONType, nullable=True),
    Column("action", String(16), nullable=False),
    Column("reason", Text, nullable=False),
    # True once the drift event went out: the cool-down counts from these rows only.
    Column("triggered", Boolean, nullable=False),
    Column("flow_run_id", String(64), nullable=True),
    Column("mlflow_run_id", String(64), nullable=True),  # the monitoring run holding the HTML report
    CheckConstraint(_in("action", DRIFT_ACTIONS), name="action"),
    Index(None, "model_name", "id"),
)
