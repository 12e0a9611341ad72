"""Source tables: market prices and quantities, meter intervals, source documents, watermarks.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from gridflow.warehouse.types import UTCDateTime, WallClockDateTime

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSONType = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _interval_columns() -> list[sa.Column]:
    return [
        sa.Column("interval_start_utc", UTCDateTime(), nullable=False),
        sa.Column("interval_minutes", sa.Integer(), nullable=False),
        sa.Column("interval_start_local", WallClockDateTime(), nullable=False),
        sa.Column("is_dst", sa.Boolean(), nullable=False),
    ]


def _provenance_columns() -> list[sa.Column]:
    return [
        sa.Column("ingest_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    ]


def upgrade() -> None:
    with op.batch_alter_table("load_observation") as batch:
        batch.add_column(sa.Column("is_verified", sa.Boolean(), nullable=True))

    op.create_table(
        "market_price",
        sa.Column("market", sa.String(32), nullable=False),
        sa.Column("node", sa.String(128), nullable=False),
        *_interval_columns(),
        sa.Column("price_usd_per_mwh", sa.Float(), nullable=False),
        *_provenance_columns(),
        sa.ForeignKeyConstraint(["ingest_id"], ["ingest_ledger.id"], name="fk_market_price_ingest_id_ingest_ledger"),
        sa.PrimaryKeyConstraint("market", "node", "interval_start_utc", name="pk_market_price"),
    )
    op.create_index("ix_market_price_ingest_id", "market_price", ["ingest_id"])

    op.create_table(
        "market_quantity",
        sa.Column("market", sa.String(32), nullable=False),
        sa.Column("series", sa.String(64), nullable=False),
        *_interval_columns(),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("unit", sa.String(16), nullable=False),
        *_provenance_columns(),
        sa.ForeignKeyConstraint(["ingest_id"], ["ingest_ledger.id"], name="fk_market_quantity_ingest_id_ingest_ledger"),
        sa.PrimaryKeyConstraint("market", "series", "interval_start_utc", name="pk_market_quantity"),
    )
    op.create_index("ix_market_quantity_ingest_id", "market_quantity", ["ingest_id"])

    op.create_table(
        "meter_interval",
        sa.Column("meter_id", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        *_interval_columns(),
        sa.Column("kwh", sa.Float(), nullable=False),
        sa.Column("is_estimated", sa.Boolean(), nullable=False),
        *_provenance_columns(),
        sa.CheckConstraint("channel IN ('consumption', 'generation')", name="ck_meter_interval_channel"),
        sa.ForeignKeyConstraint(["ingest_id"], ["ingest_ledger.id"], name="fk_meter_interval_ingest_id_ingest_ledger"),
        sa.PrimaryKeyConstraint("meter_id", "channel", "interval_start_utc", name="pk_meter_interval"),
    )
    op.create_index("ix_meter_interval_ingest_id", "meter_interval", ["ingest_id"])

    op.create_table(
        "source_document",
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("doc_id", sa.String(64), nullable=False),
        sa.Column("report", sa.String(64), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("published_at", UTCDateTime(), nullable=True),
        sa.Column("ingest_id", sa.Integer(), nullable=True),
        sa.Column("superseded_by", sa.String(64), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["ingest_id"], ["ingest_ledger.id"], name="fk_source_document_ingest_id_ingest_ledger"),
        sa.PrimaryKeyConstraint("source", "doc_id", name="pk_source_document"),
    )
    op.create_index("ix_source_document_source", "source_document", ["source", "name"])

    op.create_table(
        "ingest_watermark",
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("stream", sa.String(128), nullable=False),
        sa.Column("watermark_utc", UTCDateTime(), nullable=False),
        sa.Column("details", JSONType, nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("source", "stream", name="pk_ingest_watermark"),
    )


def downgrade() -> None:
    op.drop_table("ingest_watermark")
    op.drop_index("ix_source_document_source", table_name="source_document")
    op.drop_table("source_document")
    for table in ("meter_interval", "market_quantity", "market_price"):
        op.drop_index(f"ix_{table}_ingest_id", table_name=table)
        op.drop_table(table)
    with op.batch_alter_table("load_observation") as batch:
        batch.drop_column("is_verified")
