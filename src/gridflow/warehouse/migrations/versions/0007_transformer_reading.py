"""Transformer dissolved-gas analysis and oil test readings (`transformer_health`).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from gridflow.warehouse.types import UTCDateTime

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

VALUES = (
    "hydrogen_ppm", "oxygen_ppm", "nitrogen_ppm", "methane_ppm", "co_ppm", "co2_ppm", "ethylene_ppm",
    "ethane_ppm", "acetylene_ppm", "dbds", "power_factor", "interfacial_v", "dielectric_rigidity",
    "water_content", "health_index", "life_expectation",
)


def upgrade() -> None:
    op.create_table(
        "transformer_reading",
        sa.Column("reading_id", sa.String(64), nullable=False),
        sa.Column("asset_id", sa.String(64), nullable=False),
        *(sa.Column(name, sa.Float(), nullable=False) for name in VALUES),
        sa.Column("sampled_at_utc", UTCDateTime(), nullable=True),
        sa.Column("ingest_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["ingest_id"], ["ingest_ledger.id"],
                                name="fk_transformer_reading_ingest_id_ingest_ledger"),
        sa.PrimaryKeyConstraint("reading_id", name="pk_transformer_reading"),
    )
    op.create_index("ix_transformer_reading_asset_id", "transformer_reading", ["asset_id"])
    op.create_index("ix_transformer_reading_ingest_id", "transformer_reading", ["ingest_id"])


def downgrade() -> None:
    op.drop_table("transformer_reading")
