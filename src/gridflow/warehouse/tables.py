"""Table definitions of the warehouse; `migrations/` creates exactly these."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy import text as sql_text
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
    # actual reading by an estimate. No foreign key (migration 0005): checking ingest_ledger for
    # every one of millions of rows cost ~40 % of a load. It is safe because the only write path,
    # gridflow.warehouse.meters.write_meter_intervals, checks the ledger row once per file and
    # holds a KEY SHARE lock on it until the rows commit, and ledger rows are never deleted.
    Column("ingest_id", Integer, nullable=True),
    Column("updated_at", UTCDateTime, nullable=False),
    CheckConstraint(_in("channel", METER_CHANNELS), name="channel"),
    # BRIN on PostgreSQL: ingest ids grow in write order, so block ranges find a file's rows at
    # almost no cost per inserted row (a btree cost ~20 % of a load's COPY). SQLite: btree.
    Index(None, "ingest_id", postgresql_using="brin", postgresql_with={"autosummarize": "on"}),
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

# ---- Storm response (revision 0004) ------------------------------------------------------------

ALERT_MESSAGE_TYPES = ("Alert", "Update", "Cancel")
ALERT_STATUSES = ("active", "superseded", "cancelled", "expired")
ASSET_TYPES = ("feeder", "transformer", "pole")
PLAN_STATUSES = ("active", "superseded", "cancelled")

weather_alert = Table(
    "weather_alert",
    metadata,
    Column("alert_id", String(256), primary_key=True),  # NWS message id (urn:oid:...)
    # An Update references the message it replaces: the chain is one warning as operators see it,
    # its root is the first Alert, and each Update is the chain's next version.
    Column("chain_id", String(256), nullable=False),
    Column("chain_version", Integer, nullable=False),
    Column("message_type", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("event", String(128), nullable=False),
    Column("severity", String(16), nullable=True),
    Column("certainty", String(16), nullable=True),
    Column("urgency", String(16), nullable=True),
    Column("sent_utc", UTCDateTime, nullable=False),
    Column("effective_utc", UTCDateTime, nullable=True),
    Column("onset_utc", UTCDateTime, nullable=True),
    Column("expires_utc", UTCDateTime, nullable=True),
    Column("ends_utc", UTCDateTime, nullable=True),
    Column("area_desc", Text, nullable=True),
    Column("same_codes", JSONType, nullable=False),  # 6-digit SAME: 0 + state FIPS + county FIPS
    Column("ugc_codes", JSONType, nullable=False),  # e.g. TXC201 (county) or TXZ213 (zone)
    Column("references", JSONType, nullable=False),  # earlier message ids this one refers to
    Column("max_wind_gust_mph", Float, nullable=True),
    Column("max_hail_in", Float, nullable=True),
    Column("sender_name", String(128), nullable=True),
    Column("headline", Text, nullable=True),
    Column("document", JSONType, nullable=False),  # the GeoJSON feature as received
    Column("superseded_by", String(256), nullable=True),
    Column("received_via", String(16), nullable=False),  # poll or push
    Column("first_seen_utc", UTCDateTime, nullable=False),
    # Set once the gridflow.weather.alert.* event went out; NULL means "announce it (again)".
    Column("announced_at", UTCDateTime, nullable=True),
    Column("updated_at", UTCDateTime, nullable=False),
    CheckConstraint(_in("message_type", ALERT_MESSAGE_TYPES), name="message_type"),
    CheckConstraint(_in("status", ALERT_STATUSES), name="status"),
    Index(None, "chain_id", "chain_version"),
)

asset = Table(
    "asset",
    metadata,
    Column("asset_id", String(64), primary_key=True),
    Column("asset_type", String(16), nullable=False),
    Column("service_center", String(64), nullable=False),
    Column("county_fips", String(5), nullable=False),  # state + county FIPS, e.g. 48201
    Column("nws_zone", String(8), nullable=False),  # NWS public forecast zone UGC, e.g. TXZ213
    Column("latitude", Float, nullable=False),
    Column("longitude", Float, nullable=False),
    Column("age_years", Float, nullable=False),
    Column("material", String(32), nullable=False),
    Column("vegetation_exposure", Float, nullable=False),  # 0..1 share of span under canopy
    Column("customers_served", Integer, nullable=False),
    Column("outages_5y", Integer, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    CheckConstraint(_in("asset_type", ASSET_TYPES), name="asset_type"),
    Index(None, "county_fips"),
    Index(None, "nws_zone"),
)

storm_outcome = Table(
    "storm_outcome",
    metadata,
    Column("storm_id", String(64), primary_key=True),
    Column("asset_id", String(64), primary_key=True),
    Column("storm_start_utc", UTCDateTime, nullable=False),
    Column("event", String(128), nullable=False),
    Column("severity", String(16), nullable=True),
    Column("max_wind_gust_mph", Float, nullable=True),
    Column("max_hail_in", Float, nullable=True),
    Column("failed", Boolean, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

outage_prediction = Table(
    "outage_prediction",
    metadata,
    Column("chain_id", String(256), primary_key=True),
    Column("alert_version", Integer, primary_key=True),
    Column("model_version", String(64), primary_key=True),
    Column("asset_id", String(64), primary_key=True),
    Column("probability", Float, nullable=False),
    Column("scored_at", UTCDateTime, nullable=False),
)

crew_plan = Table(
    "crew_plan",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("chain_id", String(256), nullable=False),
    Column("alert_id", String(256), nullable=False),  # the message the plan answers
    Column("alert_version", Integer, nullable=False),
    Column("model_name", String(128), nullable=False),
    Column("model_version", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    Column("assets_scored", Integer, nullable=False),
    Column("expected_outages", Float, nullable=False),
    Column("expected_customers_out", Float, nullable=False),
    Column("crews_needed", Integer, nullable=False),
    Column("reason", Text, nullable=False),
    Column("flow_run_id", String(64), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    CheckConstraint(_in("status", PLAN_STATUSES), name="status"),
    UniqueConstraint("chain_id", "alert_version", "model_version", name="uq_crew_plan_version"),
    # However often an alert event is delivered, a warning has at most one active plan.
    Index("uq_crew_plan_active", "chain_id", unique=True,
          sqlite_where=sql_text("status = 'active'"), postgresql_where=sql_text("status = 'active'")),
)

crew_plan_line = Table(
    "crew_plan_line",
    metadata,
    Column("plan_id", Integer, ForeignKey("crew_plan.id", ondelete="CASCADE"), primary_key=True),
    Column("service_center", String(64), primary_key=True),
    Column("assets_in_area", Integer, nullable=False),
    Column("expected_outages", Float, nullable=False),
    Column("expected_customers_out", Float, nullable=False),
    Column("crews_needed", Integer, nullable=False),
    Column("priority_assets", JSONType, nullable=False),  # [{asset_id, probability, customers}, ...]
)

# Weather, point in time. A forecast row is one hour of one vintage: the forecast's own
# `updateTime` is the vintage and part of the key, so a later vintage never overwrites the one a
# feature used. A vintage counts as known from its update_time; fetched_at is for the audit.
weather_forecast = Table(
    "weather_forecast",
    metadata,
    Column("site", String(64), primary_key=True),  # configured site id, e.g. BWI
    Column("update_time_utc", UTCDateTime, primary_key=True),  # the forecast's own vintage
    Column("valid_start_utc", UTCDateTime, primary_key=True),
    Column("valid_end_utc", UTCDateTime, nullable=False),
    Column("temperature_f", Float, nullable=True),  # NWS answers null now and then: kept as null
    Column("dewpoint_c", Float, nullable=True),
    Column("relative_humidity_pct", Float, nullable=True),
    Column("wind_speed_mph", Float, nullable=True),
    Column("generated_at_utc", UTCDateTime, nullable=True),
    Column("fetched_at_utc", UTCDateTime, nullable=False),
    Column("ingest_id", Integer, ForeignKey("ingest_ledger.id"), nullable=True),
    Index(None, "ingest_id"),
)

# Station observations (NWS), hourly-ish, apart from forecasts.
weather_observation = Table(
    "weather_observation",
    metadata,
    Column("station", String(16), primary_key=True),  # ICAO id, e.g. KBWI
    Column("observed_at_utc", UTCDateTime, primary_key=True),
    Column("temperature_c", Float, nullable=True),
    Column("dewpoint_c", Float, nullable=True),
    Column("quality_control", String(4), nullable=True),
    Column("ingest_id", Integer, ForeignKey("ingest_ledger.id"), nullable=True),
    Column("updated_at", UTCDateTime, nullable=False),
    Index(None, "ingest_id"),
)

WEATHER_DAILY_SOURCES = ("ghcn_daily", "nws_observations")

# Observed daily extremes per site and local calendar day: GHCN-Daily history, or the day's
# NWS observations once the day has closed.
weather_daily = Table(
    "weather_daily",
    metadata,
    Column("site", String(64), primary_key=True),
    Column("local_date", Date, primary_key=True),
    Column("tmax_f", Float, nullable=True),
    Column("tmin_f", Float, nullable=True),
    Column("prcp_in", Float, nullable=True),
    Column("source", String(32), nullable=False),
    Column("ingest_id", Integer, ForeignKey("ingest_ledger.id"), nullable=True),
    Column("updated_at", UTCDateTime, nullable=False),
    CheckConstraint(_in("source", WEATHER_DAILY_SOURCES), name="source"),
    Index(None, "ingest_id"),
)

# One dissolved-gas analysis and oil test of a power transformer (gridflow.sources.transformer_dga):
# gases in ppm, the oil figures in the source's units, and the health index it was graded with.
transformer_reading = Table(
    "transformer_reading",
    metadata,
    Column("reading_id", String(64), primary_key=True),
    Column("asset_id", String(64), nullable=False),
    *(Column(name, Float, nullable=False) for name in (
        "hydrogen_ppm", "oxygen_ppm", "nitrogen_ppm", "methane_ppm", "co_ppm", "co2_ppm", "ethylene_ppm",
        "ethane_ppm", "acetylene_ppm", "dbds", "power_factor", "interfacial_v", "dielectric_rigidity",
        "water_content", "health_index", "life_expectation",
    )),
    Column("sampled_at_utc", UTCDateTime, nullable=True),  # the shipped source gives no date
    Column("ingest_id", Integer, ForeignKey("ingest_ledger.id"), nullable=True),
    Column("updated_at", UTCDateTime, nullable=False),
    Index(None, "asset_id"),
    Index(None, "ingest_id"),
)

# One full-load hourly average of a combined-cycle plant (gridflow.sources.ccpp): ambient
# conditions and net output. The shipped source is shuffled and has no timestamps, so none is
# stored; a row is keyed by its content and its repeat number within the file.
plant_hourly = Table(
    "plant_hourly",
    metadata,
    Column("plant_id", String(64), primary_key=True),
    Column("reading_key", String(64), primary_key=True),
    *(Column(name, Float, nullable=False) for name in (
        "ambient_temp_c", "exhaust_vacuum_cmhg", "ambient_pressure_mbar", "relative_humidity_pct", "net_output_mw",
    )),
    Column("ingest_id", Integer, ForeignKey("ingest_ledger.id"), nullable=True),
    Column("updated_at", UTCDateTime, nullable=False),
    Index(None, "ingest_id"),
)

WEATHER_KINDS = ("forecast", "none")

# Every day-ahead forecast issued, as issued: first write wins, so a re-run for the same issue
# time and model version changes nothing, and accuracy is measured on what operators received.
load_forecast_issued = Table(
    "load_forecast_issued",
    metadata,
    Column("zone", String(64), primary_key=True),
    Column("target_start_utc", UTCDateTime, primary_key=True),
    # The information cutoff of the issue (D-1 09:00 local): no load or weather vintage after it is used.
    Column("issued_at_utc", UTCDateTime, primary_key=True),
    Column("model_version", String(64), primary_key=True),
    Column("model_name", String(128), nullable=False),
    Column("target_start_local", WallClockDateTime, nullable=False),
    Column("is_dst", Boolean, nullable=False),
    Column("p10_mw", Float, nullable=False),
    Column("p50_mw", Float, nullable=False),
    Column("p90_mw", Float, nullable=False),
    Column("weather_kind", String(16), nullable=False),
    Column("weather_site", String(64), nullable=True),
    Column("weather_vintage_utc", UTCDateTime, nullable=True),  # update_time of the vintage used
    Column("flow_run_id", String(64), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    CheckConstraint(_in("weather_kind", WEATHER_KINDS), name="weather_kind"),
    Index(None, "zone", "target_start_utc"),
)

TRAFFIC_ARMS = ("champion", "challenger")
TRAFFIC_MODES = ("serve", "shadow", "ab")

# Every answer the scoring API computed, written in batches off the request path: which version
# and arm answered, whether the caller received it (a shadow answer never is), and a digest of the
# input row so arms can be paired and joined with actuals by `request_key` later (`gridflow ab`).
prediction_log = Table(
    "prediction_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("request_id", String(36), nullable=False),
    Column("row_index", Integer, nullable=False),
    Column("arm", String(16), nullable=False),
    Column("mode", String(16), nullable=False),
    Column("returned", Boolean, nullable=False),
    Column("model_name", String(128), nullable=False),
    Column("model_version", String(64), nullable=False),
    Column("request_key", String(128), nullable=True),  # asset or meter id: what A/B is sticky by
    Column("input_digest", String(64), nullable=False),
    Column("prediction", Float, nullable=True),  # a scalar output; other outputs only in the JSON
    Column("prediction_json", Text, nullable=False),
    Column("latency_ms", Float, nullable=False),
    Column("client", String(64), nullable=True),
    Column("logged_at_utc", UTCDateTime, nullable=False),
    # A batch written twice (a retried flush) adds nothing.
    UniqueConstraint("request_id", "arm", "row_index", name="uq_prediction_log_request_arm_row"),
    CheckConstraint(_in("arm", TRAFFIC_ARMS), name="arm"),
    CheckConstraint(_in("mode", TRAFFIC_MODES), name="mode"),
    Index(None, "model_name", "logged_at_utc"),
    Index(None, "request_key"),
)

# The stream consumer's output: one score per transformer reading, first write wins, so a message
# delivered twice (at-least-once) or re-scored after a restart never adds or changes a row.
asset_health_score = Table(
    "asset_health_score",
    metadata,
    Column("reading_id", String(64), primary_key=True),
    Column("asset_id", String(64), nullable=False),
    Column("model_name", String(128), nullable=False),
    Column("model_version", String(64), nullable=False),
    Column("health_index", Float, nullable=False),
    Column("threshold", Float, nullable=False),
    Column("degraded", Boolean, nullable=False),
    Column("sampled_at_utc", UTCDateTime, nullable=True),
    Column("source", String(256), nullable=False),  # broker and topic the reading came from
    Column("scored_at_utc", UTCDateTime, nullable=False),
    Index(None, "asset_id"),
    Index(None, "scored_at_utc"),
)
