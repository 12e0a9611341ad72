"""Configuration of each use case: plain pydantic models, cheap to import with the settings."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator


class MonitorConfig(BaseModel):
    """Drift/accuracy thresholds of one model (env: `GRIDFLOW_<MODEL>__MONITOR__<FIELD>`)."""

    drift_share_retrain: float = Field(default=0.5, ge=0, le=1, description="Share of drifted features to retrain.")
    drift_share_warn: float = Field(default=0.25, ge=0, le=1, description="Share of drifted features to warn.")
    accuracy_degradation_retrain: float = Field(default=0.20, ge=0, description="Relative error rise to retrain.")
    min_new_rows: int = Field(default=14 * 24, ge=0, description="New rows needed since the champion's training.")
    cooldown_hours: float = Field(default=24.0, ge=0, description="No second trigger within this time.")
    min_model_age_days: float = Field(default=7.0, ge=0, description="Younger champions ignore drift alone.")


class UseCaseConfig(BaseModel):
    """What every model is configured with: the gate's margin, operator approval, the drift monitor."""

    min_relative_improvement: float = Field(default=0.01, ge=0.0, description="Gain over the champion to promote.")
    require_approval: bool = Field(default=False, description="An operator approves each promotion in the UI.")
    approval_timeout_hours: float = Field(default=24.0, gt=0, description="No answer by then counts as reject.")
    monitor: MonitorConfig = Field(default_factory=MonitorConfig)


class LoadForecastConfig(UseCaseConfig):
    """Knobs of the load forecast (env: `GRIDFLOW_LOAD_FORECAST__<FIELD>`)."""

    # The warehouse holds every market's zones (PJM, ERCOT weather zones, test feeds): a model
    # trains only on the zones of its own market and time zone.
    zones: list[str] = Field(default_factory=lambda: ["PJME"], min_length=1, description="Zones to train on.")
    # Off: one model for every zone (`load_forecast`). On: each zone issues and is monitored with
    # its own registered model `load_forecast.<zone>`, trained by `retrain-fleet`.
    model_per_zone: bool = Field(default=False, description="A registered model per zone (load_forecast.<zone>).")
    market_tz: str = Field(default="America/New_York", description="Market time zone of the zone's load.")
    # The daily forecast is issued by a deployment at 09:30 local: its information cutoff is 09:00.
    issue_hour_local: int = Field(default=9, ge=0, le=23, description="Information cutoff hour, D-1 local.")
    holdout_start: date = Field(
        default=date(2015, 1, 1), description="First local date of the evaluation window."
    )
    holdout_days: int | None = Field(
        default=None, description="Use the last N days as holdout instead of holdout_start."
    )
    train_start: date | None = Field(default=None, description="Ignore data before this date.")
    backtest_folds: int = Field(default=4, ge=0)
    backtest_test_days: int = Field(default=91, ge=7)
    xgb_params: dict[str, Any] = Field(default_factory=dict, description="Overrides of defaults.")
    # Weather: a zone uses the sites of `GRIDFLOW_WEATHER__SITES` whose `zone` is its own; a zone
    # without a site trains and issues without weather features and says so in the run.
    use_weather: bool = Field(default=True, description="Use weather features where a site is configured.")
    weather_error_mae_f: float = Field(
        default=2.5, ge=0, description="Forecast-sized error added to observed temperature in training (MAE, F)."
    )
    # The D-1 features stand in for what is known at 09:00 on D-1: the morning minimum is already
    # observed and the afternoon maximum is a same-day forecast about 6 h ahead, which misses by
    # less than a day-ahead one (~1-2 F against 2-3 F), hence a smaller error than the target day's.
    weather_error_d1_mae_f: float = Field(
        default=1.5, ge=0, description="Error added to observed D-1 temperature in training (MAE, F)."
    )
    fallback_model: str | None = Field(
        default=None, description="Registered model issued instead when no weather vintage exists (none: fail)."
    )


class WeatherSite(BaseModel):
    """A weather point feeding one zone: NWS grid forecast at lat/lon, observations at a station."""

    site: str = Field(description="Site id used in the warehouse, e.g. BWI.")
    zone: str = Field(description="Load zone the site's weather feeds, e.g. PJME.")
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)
    station: str = Field(description="NWS observation station (ICAO), e.g. KBWI.")
    tz: str = Field(default="America/New_York", description="Local time zone of the site's calendar days.")
    weight: float = Field(default=1.0, gt=0, description="Weight when a zone averages several sites.")


def _default_sites() -> list[WeatherSite]:
    # Baltimore-Washington airport: inside PJM East, and the GHCN-Daily history shipped in data/.
    return [WeatherSite(site="BWI", zone="PJME", latitude=39.1754, longitude=-76.6683, station="KBWI")]


class WeatherConfig(BaseModel):
    """Weather source settings (env: `GRIDFLOW_WEATHER__<FIELD>`); the NWS API needs no key."""

    nws_base_url: str = Field(default="https://api.weather.gov", description="NWS API; a replay server offline.")
    # api.weather.gov refuses requests without a User-Agent and asks for a contact in it.
    user_agent: str = Field(default="gridflow/0.1 (load-forecast weather; ops@example-utility.com)",
                            description="Sent on every NWS request: say who you are and how to reach you.")
    sites: list[WeatherSite] = Field(default_factory=_default_sites, description="Weather points per zone.")
    max_attempts: int = Field(default=4, ge=1, description="Tries per NWS request on 429/5xx/network errors.")
    backoff_seconds: float = Field(default=1.0, ge=0.0)
    stale_after_hours: float = Field(default=12.0, gt=0, description="A vintage older than this is reported stale.")
    observation_days: int = Field(default=3, ge=1, le=7, description="Days of station observations fetched.")

    def sites_for(self, zone: str) -> list[WeatherSite]:
        """The sites configured for `zone` (empty: the zone runs without weather)."""
        return [s for s in self.sites if s.zone == zone]


class ErcotConfig(BaseModel):
    """ERCOT MIS client settings (env: `GRIDFLOW_ERCOT__<FIELD>`); no key: MIS reports are public."""

    base_url: str = Field(default="https://www.ercot.com", description="MIS host; a replay server offline.")
    max_attempts: int = Field(default=5, ge=1, description="Tries per request on 429/5xx/network errors.")
    backoff_seconds: float = Field(default=1.0, ge=0.0, description="First retry delay; doubles each try.")
    # Real ZIPs are kilobytes to ~1 MB and their CSVs a few MB: generous multiples, not room for a bomb.
    max_zip_bytes: int = Field(default=16 * 1024 * 1024, ge=1, description="Largest download accepted.")
    max_csv_bytes: int = Field(default=64 * 1024 * 1024, ge=1, description="Largest uncompressed member.")


STORM_EVENTS_DEFAULT = (
    "Severe Thunderstorm Warning", "Tornado Warning", "High Wind Warning", "Hurricane Warning",
    "Tropical Storm Warning", "Winter Storm Warning", "Ice Storm Warning",
)


class StormConfig(BaseModel):
    """Weather alerts and the storm response (env: `GRIDFLOW_STORM__<FIELD>`)."""

    nws_base_url: str = Field(default="https://api.weather.gov", description="NWS API; a replay server offline.")
    # api.weather.gov refuses requests without a User-Agent and asks for a contact in it.
    user_agent: str = Field(default="gridflow/0.1 (storm-response; ops@example-utility.com)",
                            description="Sent on every NWS request: say who you are and how to reach you.")
    areas: list[str] = Field(default_factory=lambda: ["TX"], min_length=1, description="States polled.")
    events: list[str] = Field(default_factory=lambda: list(STORM_EVENTS_DEFAULT),
                              description="Alert event types that count as storm warnings.")
    min_severity: str = Field(default="Moderate", description="Least severity answered: Minor..Extreme.")
    max_attempts: int = Field(default=4, ge=1, description="Tries per NWS request on 429/5xx/network errors.")
    backoff_seconds: float = Field(default=1.0, ge=0.0)
    model_name: str = Field(default="outage_risk", description="Registered model scored under an alert.")
    score_chunk_rows: int = Field(default=250_000, ge=1_000, description="Assets scored per chunk.")
    # One task per this many assets, fanned out on the flow's task runner (GRIDFLOW_TASK_RUNNER):
    # a million-asset area stays one task, since on threads more tasks only add Prefect overhead
    # (XGBoost already uses the cores); lower it to spread a large area over Dask workers.
    score_task_rows: int = Field(default=1_000_000, ge=1_000,
                                 description="Assets per scoring task of the storm flow; a smaller area is one task.")
    crews_per_outage: float = Field(default=0.25, gt=0, description="Crews staged per expected outage.")
    priority_assets_per_center: int = Field(default=20, ge=0, description="Riskiest assets listed per center.")


class OutageRiskConfig(UseCaseConfig):
    """Knobs of the outage-risk classifier (env: `GRIDFLOW_OUTAGE_RISK__<FIELD>`)."""

    holdout_storms: int = Field(default=6, ge=1, description="Latest storms kept out of training.")
    calibration_share: float = Field(default=0.2, gt=0, lt=1, description="Training storms used to calibrate.")
    xgb_params: dict[str, Any] = Field(default_factory=dict, description="Overrides of defaults.")


class TransformerHealthConfig(UseCaseConfig):
    """Knobs of the transformer health-index regression (env: `GRIDFLOW_TRANSFORMER_HEALTH__<FIELD>`)."""

    estimator: Literal["random_forest", "xgboost"] = Field(
        default="random_forest", description="The regressor: a random forest or a gradient-boosted challenger.")
    # The shipped data's index rises as a unit deteriorates (median 13.4). 50 is the utility-style
    # cut between "fair" and "poor" on a 0..100 scale; it flags 50 of the 470 units (10.6 %), a
    # fleet share a maintenance programme can act on, where 30 would flag 39 % of the fleet.
    attention_threshold: float = Field(
        default=50.0, ge=0, le=100, description="Health index at or ABOVE which a unit needs attention.")
    holdout_share: float = Field(default=0.2, gt=0, lt=1, description="Readings held out for the gate.")
    cv_repeats: int = Field(default=5, ge=1, description="Repeats of the K-fold evaluation.")
    cv_folds: int = Field(default=5, ge=2, description="Folds per repeat.")
    estimator_params: dict[str, Any] = Field(default_factory=dict, description="Overrides of the estimator's defaults.")


class PlantOutputConfig(UseCaseConfig):
    """Knobs of the combined-cycle plant output regression (env: `GRIDFLOW_PLANT_OUTPUT__<FIELD>`)."""

    plant_id: str = Field(default="uci-ccpp", min_length=1, description="Plant whose readings train the model.")
    holdout_share: float = Field(default=0.2, gt=0, lt=1, description="Readings held out for the gate.")
    # Dietterich's 5x2 CV (5 repeats of a 2-fold split): the protocol the literature's figures use.
    cv_repeats: int = Field(default=5, ge=2, description="Repeats of the 2-fold evaluation.")
    cv_seed: int = Field(default=0, description="Seed of the first repeat's halving; repeat r uses seed + r - 1.")
    # "row" is the literature's protocol (identical rows kept together). "vacuum" keeps every exact
    # exhaust-vacuum reading on one side: a stand-in for hours of an operating period never seen.
    cv_groups: Literal["row", "vacuum"] = Field(default="row", description="What each CV half keeps whole.")
    xgb_params: dict[str, Any] = Field(default_factory=dict, description="Overrides of the booster's defaults.")


class NotifyConfig(BaseModel):
    """Failure notifications (env: `GRIDFLOW_NOTIFY__<FIELD>`); the log always gets them."""

    # Chat webhook URLs embed their token: kept out of repr, never logged.
    webhook_url: str | None = Field(default=None, repr=False, description="POST each notice here as JSON.")
    write_file: bool = Field(default=True, description="Append notices to $GRIDFLOW_HOME/notifications.jsonl.")
    timeout_seconds: float = Field(default=10.0, gt=0, description="Webhook request timeout.")


class TrafficRule(BaseModel):
    """How one model's scoring requests use its `challenger` (`GRIDFLOW_API__TRAFFIC`, gridflow.serving.traffic)."""

    mode: Literal["serve", "shadow", "ab"] = Field(
        default="serve", description="serve: champion only; shadow: challenger scores too, never returned; "
                                     "ab: the challenger answers `share` of the request keys.")
    share: float | None = Field(default=None, gt=0, lt=1, description="ab: share of keys the challenger answers.")
    key: str | None = Field(default=None, description="Request column whose value decides the arm (the "
                                                     "X-Request-Key header wins), e.g. asset_id or reading_id.")
    # The A/B report's bar for a promotion (`gridflow ab report`, flow `ab-report`).
    alpha: float = Field(default=0.05, gt=0, lt=1, description="Significance level of the arm comparison.")
    min_rows: int = Field(default=30, ge=2, description="Rows with actuals needed per arm before a decision.")

    @model_validator(mode="after")
    def _ab_needs_a_share(self) -> TrafficRule:
        if self.mode == "ab" and self.share is None:
            raise ValueError("traffic mode 'ab' needs a share in (0, 1), e.g. {\"mode\": \"ab\", \"share\": 0.2}")
        return self


class ApiConfig(BaseModel):
    """The scoring API (env: `GRIDFLOW_API__<FIELD>`, e.g. `GRIDFLOW_API__KEYS='{"scada": "<sha256>"}'`)."""

    # SHA-256 hex digests only (`gridflow api keygen NAME` prints one): a leaked setting is no key.
    keys: dict[str, str] = Field(default_factory=dict, repr=False, description="Client name -> SHA-256 of its key.")
    models: list[str] | None = Field(default=None, description="Use cases to serve (default: every known one).")
    max_rows: int = Field(default=10_000, ge=1, description="Rows per prediction request; more answers 413.")
    max_body_bytes: int = Field(default=5_000_000, ge=1, description="Request body size; more answers 413.")
    poll_seconds: float = Field(default=5.0, gt=0, description="How often the champion aliases are re-read.")
    traffic: dict[str, TrafficRule] = Field(
        default_factory=dict, description="Model -> shadow or A/B rule; a model without one is served by its champion.")
    log_predictions: bool = Field(default=True, description="Write every answer to the warehouse's prediction_log.")
    log_batch_rows: int = Field(default=500, ge=1, description="Prediction log rows per warehouse write.")
    log_flush_seconds: float = Field(default=2.0, gt=0, description="Longest wait before a partial batch is written.")
    log_queue_rows: int = Field(default=200_000, ge=1, description="Rows held for the writer; more are dropped.")
    shadow_workers: int = Field(default=1, ge=1, description="Threads scoring shadow challengers after the answer.")
    shadow_queue: int = Field(default=64, ge=1, description="Shadow scorings waiting; more are skipped.")


class StreamConfig(BaseModel):
    """The stream consumer `gridflow stream` (env: `GRIDFLOW_STREAM__<FIELD>`)."""

    # A broker URL may carry a password (amqp://user:pass@...): kept out of repr.
    broker_url: str = Field(default="kafka://localhost:9092", repr=False,
                            description="kafka://, nats://, redis:// or amqp:// URL of the broker.")
    input_topic: str = Field(default="transformer.readings", min_length=1, description="Readings are read here.")
    output_topic: str = Field(default="transformer.health", min_length=1, description="Scores are published here.")
    dead_letter_topic: str | None = Field(default=None, description="Malformed messages go here (default <input>.dlq).")
    group: str = Field(default="gridflow-stream", min_length=1, description="Consumer group / durable consumer name.")
    model: str = Field(default="transformer_health", description="Registered model whose champion scores.")
    poll_seconds: float = Field(default=5.0, gt=0, description="How often the champion alias is re-read.")
    redeliver_seconds: float = Field(
        default=30.0, gt=0, description="An unacknowledged reading is delivered again after this long (NATS, Redis).")
    retry_seconds: float = Field(default=1.0, ge=0, description="Pause before a reading that failed is retried.")
    heartbeat_file: str | None = Field(
        default=None, description="Touched every 10 s while the consumer runs (a container health check).")

    @property
    def dead_letters(self) -> str:
        """The dead-letter topic: the setting, else `<input_topic>.dlq`."""
        return self.dead_letter_topic or f"{self.input_topic}.dlq"
