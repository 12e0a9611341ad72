"""Meter load path: meter_interval.ingest_id loses its foreign key; its index becomes BRIN.

Both were per-row costs of loading meter files into PostgreSQL. The foreign key cost a lookup in
ingest_ledger for every interval row (~40 % of PostgreSQL's time in a load); the one write path
(`gridflow.warehouse.meters.write_meter_intervals`) now checks the ledger row once per file
instead and holds a KEY SHARE lock on it until commit, which is the guarantee the constraint gave
(ledger rows are never deleted). The btree on ingest_id cost ~20 % of a COPY; ingest ids grow with
the order rows are written in, which is what a block-range index needs, so "rows written by ingest
X" stays an index scan at almost no cost per row. `autosummarize` keeps new ranges summarized.
SQLite keeps its btree.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FK = "fk_meter_interval_ingest_id_ingest_ledger"
_INDEX = "ix_meter_interval_ingest_id"


def upgrade() -> None:
    # Batch mode: SQLite rebuilds the table (keeping its indexes), PostgreSQL runs ALTER TABLE.
    with op.batch_alter_table("meter_interval") as batch:
        batch.drop_constraint(_FK, type_="foreignkey")
    if op.get_context().dialect.name == "postgresql":
        op.drop_index(_INDEX, table_name="meter_interval")
        op.create_index(_INDEX, "meter_interval", ["ingest_id"], postgresql_using="brin",
                        postgresql_with={"autosummarize": "on"})


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.drop_index(_INDEX, table_name="meter_interval")
        op.create_index(_INDEX, "meter_interval", ["ingest_id"])
    with op.batch_alter_table("meter_interval") as batch:
        batch.create_foreign_key(_FK, "ingest_ledger", ["ingest_id"], ["id"])
