"""Weather (forecast vintages, station observations, observed daily extremes) and issued load forecasts.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from gridflow.warehouse.types import UTCDateTime, WallClockDateTime

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _ledger_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["ingest_id"], ["ingest_ledger.id"], name=f"fk_{table}_ingest_id_ingest_ledger")


def upgrade() -> None:
    op.create_table(
        "weather_forecast",
        sa.Column("site", sa.String(64), nullable=False),
        sa.Column("update_time_utc", UTCDateTime(), nullable=False),
        sa.Column("valid_start_utc", UTCDateTime(), nullable=False),
        sa.Column("valid_end_utc", UTCDateTime(), nullable=False),
        sa.Column("temperature_f", sa.Float(), nullable=True),
        sa.Column("dewpoint_c", sa.Float(), nullable=True),
        sa.Column("relative_humidity_pct", sa.Float(), nullable=True),
        sa.Column("wind_speed_mph", sa.Float(), nullable=True),
        sa.Column("generated_at_utc", UTCDateTime(), nullable=True),
        sa.Column("fetched_at_utc", UTCDateTime(), nullable=False),
        sa.Column("ingest_id", sa.Integer(), nullable=True),
        _ledger_fk("weather_forecast"),
        sa.PrimaryKeyConstraint("site", "update_time_utc", "valid_start_utc", name="pk_weather_forecast"),
    )
    op.create_index("ix_weather_forecast_ingest_id", "weather_forecast", ["ingest_id"])

    op.create_table(
        "weather_observation",
        sa.Column("station", sa.String(16), nullable=False),
        sa.Column("observed_at_utc", UTCDateTime(), nullable=False),
        sa.Column("temperature_c", sa.Float(), nullable=True),
        sa.Column("dewpoint_c", sa.Float(), nullable=True),
        sa.Column("quality_control", sa.String(4), nullable=True),
        sa.Column("ingest_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        _ledger_fk("weather_observation"),
        sa.PrimaryKeyConstraint("station", "observed_at_utc", name="pk_weather_observation"),
    )
    op.create_index("ix_weather_observation_ingest_id", "weather_observation", ["ingest_id"])

    op.create_table(
        "weather_daily",
        sa.Column("site", sa.String(64), nullable=False),
        sa.Column("local_date", sa.Date(), nullable=False),
        sa.Column("tmax_f", sa.Float(), nullable=True),
        sa.Column("tmin_f", sa.Float(), nullable=True),
        sa.Column("prcp_in", sa.Float(), nullable=True),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("ingest_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("source IN ('ghcn_daily', 'nws_observations')", name="ck_weather_daily_source"),
        _ledger_fk("weather_daily"),
        sa.PrimaryKeyConstraint("site", "local_date", name="pk_weather_daily"),
    )
    op.create_index("ix_weather_daily_ingest_id", "weather_daily", ["ingest_id"])

    op.create_table(
        "load_forecast_issued",
        sa.Column("zone", sa.String(64), nullable=False),
        sa.Column("target_start_utc", UTCDateTime(), nullable=False),
        sa.Column("issued_at_utc", UTCDateTime(), nullable=False),
        sa.Column("model_version", sa.String(64), nullable=False),
        sa.Column("model_name", sa.String(128), nullable=False),
        sa.Column("target_start_local", WallClockDateTime(), nullable=False),
        sa.Column("is_dst", sa.Boolean(), nullable=False),
        sa.Column("p10_mw", sa.Float(), nullable=False),
        sa.Column("p50_mw", sa.Float(), nullable=False),
        sa.Column("p90_mw", sa.Float(), nullable=False),
        sa.Column("weather_kind", sa.String(16), nullable=False),
        sa.Column("weather_site", sa.String(64), nullable=True),
        sa.Column("weather_vintage_utc", UTCDateTime(), nullable=True),
        sa.Column("flow_run_id", sa.String(64), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("weather_kind IN ('forecast', 'none')", name="ck_load_forecast_issued_weather_kind"),
        sa.PrimaryKeyConstraint("zone", "target_start_utc", "issued_at_utc", "model_version",
                                name="pk_load_forecast_issued"),
    )
    op.create_index("ix_load_forecast_issued_zone", "load_forecast_issued", ["zone", "target_start_utc"])


def downgrade() -> None:
    for table in ("load_forecast_issued", "weather_daily", "weather_observation", "weather_forecast"):
        op.drop_table(table)
