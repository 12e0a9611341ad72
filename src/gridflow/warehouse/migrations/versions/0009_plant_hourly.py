"""Combined-cycle plant hourly averages (`plant_output`).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from gridflow.warehouse.types import UTCDateTime

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

VALUES = ("ambient_temp_c", "exhaust_vacuum_cmhg", "ambient_pressure_mbar", "relative_humidity_pct", "net_output_mw")


def upgrade() -> None:
    op.create_table(
        "plant_hourly",
        sa.Column("plant_id", sa.String(64), nullable=False),
        sa.Column("reading_key", sa.String(64), nullable=False),
        *(sa.Column(name, sa.Float(), nullable=False) for name in VALUES),
        sa.Column("ingest_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["ingest_id"], ["ingest_ledger.id"],
                                name="fk_plant_hourly_ingest_id_ingest_ledger"),
        sa.PrimaryKeyConstraint("plant_id", "reading_key", name="pk_plant_hourly"),
    )
    op.create_index("ix_plant_hourly_ingest_id", "plant_hourly", ["ingest_id"])


def downgrade() -> None:
    op.drop_table("plant_hourly")
