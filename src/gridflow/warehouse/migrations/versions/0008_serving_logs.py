"""The scoring API's prediction log and the stream consumer's transformer health scores.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from gridflow.warehouse.types import UTCDateTime

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "prediction_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("request_id", sa.String(36), nullable=False),
        sa.Column("row_index", sa.Integer(), nullable=False),
        sa.Column("arm", sa.String(16), nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("returned", sa.Boolean(), nullable=False),
        sa.Column("model_name", sa.String(128), nullable=False),
        sa.Column("model_version", sa.String(64), nullable=False),
        sa.Column("request_key", sa.String(128), nullable=True),
        sa.Column("input_digest", sa.String(64), nullable=False),
        sa.Column("prediction", sa.Float(), nullable=True),
        sa.Column("prediction_json", sa.Text(), nullable=False),
        sa.Column("latency_ms", sa.Float(), nullable=False),
        sa.Column("client", sa.String(64), nullable=True),
        sa.Column("logged_at_utc", UTCDateTime(), nullable=False),
        sa.CheckConstraint("arm IN ('champion', 'challenger')", name="ck_prediction_log_arm"),
        sa.CheckConstraint("mode IN ('serve', 'shadow', 'ab')", name="ck_prediction_log_mode"),
        sa.PrimaryKeyConstraint("id", name="pk_prediction_log"),
        sa.UniqueConstraint("request_id", "arm", "row_index", name="uq_prediction_log_request_arm_row"),
    )
    op.create_index("ix_prediction_log_model_name", "prediction_log", ["model_name", "logged_at_utc"])
    op.create_index("ix_prediction_log_request_key", "prediction_log", ["request_key"])
    op.create_table(
        "asset_health_score",
        sa.Column("reading_id", sa.String(64), nullable=False),
        sa.Column("asset_id", sa.String(64), nullable=False),
        sa.Column("model_name", sa.String(128), nullable=False),
        sa.Column("model_version", sa.String(64), nullable=False),
        sa.Column("health_index", sa.Float(), nullable=False),
        sa.Column("threshold", sa.Float(), nullable=False),
        sa.Column("degraded", sa.Boolean(), nullable=False),
        sa.Column("sampled_at_utc", UTCDateTime(), nullable=True),
        sa.Column("source", sa.String(256), nullable=False),
        sa.Column("scored_at_utc", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("reading_id", name="pk_asset_health_score"),
    )
    op.create_index("ix_asset_health_score_asset_id", "asset_health_score", ["asset_id"])
    op.create_index("ix_asset_health_score_scored_at_utc", "asset_health_score", ["scored_at_utc"])


def downgrade() -> None:
    op.drop_table("asset_health_score")
    op.drop_table("prediction_log")
