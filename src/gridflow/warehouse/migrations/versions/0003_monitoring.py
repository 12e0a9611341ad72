"""Model monitoring: one row per drift/accuracy check with its verdict.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from gridflow.warehouse.types import UTCDateTime

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copy of the types at this revision: later edits to tables.py must not change history.
JSONType = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "drift_check",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("model_name", sa.String(128), nullable=False),
        sa.Column("model_version", sa.String(64), nullable=True),
        sa.Column("checked_at", UTCDateTime(), nullable=False),
        sa.Column("window_start_utc", UTCDateTime(), nullable=True),
        sa.Column("window_end_utc", UTCDateTime(), nullable=True),
        sa.Column("reference_rows", sa.Integer(), nullable=True),
        sa.Column("current_rows", sa.Integer(), nullable=True),
        sa.Column("drift_method", sa.String(32), nullable=True),
        sa.Column("drift_threshold", sa.Float(), nullable=True),
        sa.Column("drift_share", sa.Float(), nullable=True),
        sa.Column("feature_scores", JSONType, nullable=True),
        sa.Column("drifted_features", JSONType, nullable=True),
        sa.Column("prediction_drift", sa.Float(), nullable=True),
        sa.Column("accuracy", JSONType, nullable=True),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("triggered", sa.Boolean(), nullable=False),
        sa.Column("flow_run_id", sa.String(64), nullable=True),
        sa.Column("mlflow_run_id", sa.String(64), nullable=True),
        sa.CheckConstraint("action IN ('retrain', 'warn', 'ok')", name="ck_drift_check_action"),
        sa.PrimaryKeyConstraint("id", name="pk_drift_check"),
    )
    op.create_index("ix_drift_check_model_name", "drift_check", ["model_name", "id"])


def downgrade() -> None:
    op.drop_index("ix_drift_check_model_name", table_name="drift_check")
    op.drop_table("drift_check")
