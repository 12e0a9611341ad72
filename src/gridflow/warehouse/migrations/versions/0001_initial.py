"""Initial warehouse schema: ingest ledger, load observations, promotion audit.

Revision ID: 0001
Revises:
Create Date: 2026-01-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from gridflow.warehouse.types import UTCDateTime, WallClockDateTime

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copy of the types at this revision: later edits to tables.py must not change history.
JSONType = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

_PG_APPEND_ONLY = """
CREATE OR REPLACE FUNCTION promotion_audit_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'promotion_audit is append-only: % is not allowed', TG_OP;
END
$$
"""


def upgrade() -> None:
    op.create_table(
        "ingest_ledger",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("dataset", sa.String(64), nullable=False),
        sa.Column("locator", sa.Text(), nullable=False),
        sa.Column("content_sha256", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("rows_read", sa.Integer(), nullable=True),
        sa.Column("rows_written", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("details", JSONType, nullable=True),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.CheckConstraint(
            "status IN ('started', 'loaded', 'skipped', 'quarantined', 'failed')",
            name="ck_ingest_ledger_status",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_ingest_ledger"),
    )
    op.create_index("ix_ingest_ledger_content_sha256", "ingest_ledger", ["content_sha256"])

    op.create_table(
        "load_observation",
        sa.Column("zone", sa.String(64), nullable=False),
        sa.Column("interval_start_utc", UTCDateTime(), nullable=False),
        sa.Column("interval_start_local", WallClockDateTime(), nullable=False),
        sa.Column("is_dst", sa.Boolean(), nullable=False),
        sa.Column("load_mw", sa.Float(), nullable=False),
        sa.Column("ingest_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ingest_id"],
            ["ingest_ledger.id"],
            name="fk_load_observation_ingest_id_ingest_ledger",
        ),
        sa.PrimaryKeyConstraint("zone", "interval_start_utc", name="pk_load_observation"),
    )
    op.create_index("ix_load_observation_ingest_id", "load_observation", ["ingest_id"])

    op.create_table(
        "promotion_audit",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("model_name", sa.String(128), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("from_version", sa.String(64), nullable=True),
        sa.Column("to_version", sa.String(64), nullable=True),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("decided_at", UTCDateTime(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("metrics", JSONType, nullable=True),
        sa.Column("trigger", sa.Text(), nullable=True),
        sa.Column("mlflow_run_id", sa.String(64), nullable=True),
        sa.CheckConstraint(
            "action IN ('promote', 'reject', 'rollback', 'keep')",
            name="ck_promotion_audit_action",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_promotion_audit"),
    )
    op.create_index("ix_promotion_audit_model_name", "promotion_audit", ["model_name", "id"])

    # The audit trail is evidence: the database itself refuses UPDATE and DELETE on it.
    if op.get_context().dialect.name == "postgresql":
        op.execute(_PG_APPEND_ONLY)
        op.execute(
            "CREATE TRIGGER promotion_audit_append_only BEFORE UPDATE OR DELETE "
            "ON promotion_audit FOR EACH ROW EXECUTE FUNCTION promotion_audit_append_only()"
        )
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER promotion_audit_no_{verb.lower()} BEFORE {verb} "
                "ON promotion_audit BEGIN "
                f"SELECT RAISE(ABORT, 'promotion_audit is append-only: {verb} is not allowed'); "
                "END"
            )


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS promotion_audit_append_only ON promotion_audit")
        op.execute("DROP FUNCTION IF EXISTS promotion_audit_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS promotion_audit_no_update")
        op.execute("DROP TRIGGER IF EXISTS promotion_audit_no_delete")
    op.drop_index("ix_promotion_audit_model_name", table_name="promotion_audit")
    op.drop_table("promotion_audit")
    op.drop_index("ix_load_observation_ingest_id", table_name="load_observation")
    op.drop_table("load_observation")
    op.drop_index("ix_ingest_ledger_content_sha256", table_name="ingest_ledger")
    op.drop_table("ingest_ledger")
