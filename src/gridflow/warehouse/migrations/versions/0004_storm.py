"""Storm response: weather alerts, asset inventory, storm outcomes, outage predictions, crew plans.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from gridflow.warehouse.types import UTCDateTime

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copy of the types at this revision: later edits to tables.py must not change history.
JSONType = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "weather_alert",
        sa.Column("alert_id", sa.String(256), nullable=False),
        sa.Column("chain_id", sa.String(256), nullable=False),
        sa.Column("chain_version", sa.Integer(), nullable=False),
        sa.Column("message_type", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("event", sa.String(128), nullable=False),
        sa.Column("severity", sa.String(16), nullable=True),
        sa.Column("certainty", sa.String(16), nullable=True),
        sa.Column("urgency", sa.String(16), nullable=True),
        sa.Column("sent_utc", UTCDateTime(), nullable=False),
        sa.Column("effective_utc", UTCDateTime(), nullable=True),
        sa.Column("onset_utc", UTCDateTime(), nullable=True),
        sa.Column("expires_utc", UTCDateTime(), nullable=True),
        sa.Column("ends_utc", UTCDateTime(), nullable=True),
        sa.Column("area_desc", sa.Text(), nullable=True),
        sa.Column("same_codes", JSONType, nullable=False),
        sa.Column("ugc_codes", JSONType, nullable=False),
        sa.Column("references", JSONType, nullable=False),
        sa.Column("max_wind_gust_mph", sa.Float(), nullable=True),
        sa.Column("max_hail_in", sa.Float(), nullable=True),
        sa.Column("sender_name", sa.String(128), nullable=True),
        sa.Column("headline", sa.Text(), nullable=True),
        sa.Column("document", JSONType, nullable=False),
        sa.Column("superseded_by", sa.String(256), nullable=True),
        sa.Column("received_via", sa.String(16), nullable=False),
        sa.Column("first_seen_utc", UTCDateTime(), nullable=False),
        sa.Column("announced_at", UTCDateTime(), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("message_type IN ('Alert', 'Update', 'Cancel')", name="ck_weather_alert_message_type"),
        sa.CheckConstraint("status IN ('active', 'superseded', 'cancelled', 'expired')",
                           name="ck_weather_alert_status"),
        sa.PrimaryKeyConstraint("alert_id", name="pk_weather_alert"),
    )
    op.create_index("ix_weather_alert_chain_id", "weather_alert", ["chain_id", "chain_version"])

    op.create_table(
        "asset",
        sa.Column("asset_id", sa.String(64), nullable=False),
        sa.Column("asset_type", sa.String(16), nullable=False),
        sa.Column("service_center", sa.String(64), nullable=False),
        sa.Column("county_fips", sa.String(5), nullable=False),
        sa.Column("nws_zone", sa.String(8), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=False),
        sa.Column("longitude", sa.Float(), nullable=False),
        sa.Column("age_years", sa.Float(), nullable=False),
        sa.Column("material", sa.String(32), nullable=False),
        sa.Column("vegetation_exposure", sa.Float(), nullable=False),
        sa.Column("customers_served", sa.Integer(), nullable=False),
        sa.Column("outages_5y", sa.Integer(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("asset_type IN ('feeder', 'transformer', 'pole')", name="ck_asset_asset_type"),
        sa.PrimaryKeyConstraint("asset_id", name="pk_asset"),
    )
    op.create_index("ix_asset_county_fips", "asset", ["county_fips"])
    op.create_index("ix_asset_nws_zone", "asset", ["nws_zone"])

    op.create_table(
        "storm_outcome",
        sa.Column("storm_id", sa.String(64), nullable=False),
        sa.Column("asset_id", sa.String(64), nullable=False),
        sa.Column("storm_start_utc", UTCDateTime(), nullable=False),
        sa.Column("event", sa.String(128), nullable=False),
        sa.Column("severity", sa.String(16), nullable=True),
        sa.Column("max_wind_gust_mph", sa.Float(), nullable=True),
        sa.Column("max_hail_in", sa.Float(), nullable=True),
        sa.Column("failed", sa.Boolean(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("storm_id", "asset_id", name="pk_storm_outcome"),
    )

    op.create_table(
        "outage_prediction",
        sa.Column("chain_id", sa.String(256), nullable=False),
        sa.Column("alert_version", sa.Integer(), nullable=False),
        sa.Column("model_version", sa.String(64), nullable=False),
        sa.Column("asset_id", sa.String(64), nullable=False),
        sa.Column("probability", sa.Float(), nullable=False),
        sa.Column("scored_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("chain_id", "alert_version", "model_version", "asset_id",
                                name="pk_outage_prediction"),
    )

    op.create_table(
        "crew_plan",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("chain_id", sa.String(256), nullable=False),
        sa.Column("alert_id", sa.String(256), nullable=False),
        sa.Column("alert_version", sa.Integer(), nullable=False),
        sa.Column("model_name", sa.String(128), nullable=False),
        sa.Column("model_version", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("assets_scored", sa.Integer(), nullable=False),
        sa.Column("expected_outages", sa.Float(), nullable=False),
        sa.Column("expected_customers_out", sa.Float(), nullable=False),
        sa.Column("crews_needed", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("flow_run_id", sa.String(64), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("status IN ('active', 'superseded', 'cancelled')", name="ck_crew_plan_status"),
        sa.PrimaryKeyConstraint("id", name="pk_crew_plan"),
        sa.UniqueConstraint("chain_id", "alert_version", "model_version", name="uq_crew_plan_version"),
    )
    op.create_index("uq_crew_plan_active", "crew_plan", ["chain_id"], unique=True,
                    sqlite_where=sa.text("status = 'active'"), postgresql_where=sa.text("status = 'active'"))

    op.create_table(
        "crew_plan_line",
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("service_center", sa.String(64), nullable=False),
        sa.Column("assets_in_area", sa.Integer(), nullable=False),
        sa.Column("expected_outages", sa.Float(), nullable=False),
        sa.Column("expected_customers_out", sa.Float(), nullable=False),
        sa.Column("crews_needed", sa.Integer(), nullable=False),
        sa.Column("priority_assets", JSONType, nullable=False),
        sa.ForeignKeyConstraint(["plan_id"], ["crew_plan.id"], name="fk_crew_plan_line_plan_id_crew_plan",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("plan_id", "service_center", name="pk_crew_plan_line"),
    )


def downgrade() -> None:
    op.drop_table("crew_plan_line")
    op.drop_index("uq_crew_plan_active", table_name="crew_plan")
    op.drop_table("crew_plan")
    op.drop_table("outage_prediction")
    op.drop_table("storm_outcome")
    op.drop_index("ix_asset_nws_zone", table_name="asset")
    op.drop_index("ix_asset_county_fips", table_name="asset")
    op.drop_table("asset")
    op.drop_index("ix_weather_alert_chain_id", table_name="weather_alert")
    op.drop_table("weather_alert")
