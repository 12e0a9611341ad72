"""Weather ingestion: GHCN-Daily history files, and per configured site the NWS hourly forecast and
station observations (with the daily extremes derived from them).

Same contract as the other sources: every input gets a ledger row; a parse error or a failed
suite quarantines it with the reason; loads are idempotent. Point in time: a forecast vintage is
its `updateTime`; a vintage already stored (or older than `stale_after_hours`) is recorded as
skipped and reported stale, never written again; nothing stored is ever deleted, so when the API
keeps failing the last good vintage stays.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
from sqlalchemy import Connection
from sqlalchemy.engine import Engine

from gridflow.clients.http_retry import HttpError, RetryPolicy
from gridflow.clients.nws_weather import Fetched, NwsWeatherClient
from gridflow.config import get_settings, section
from gridflow.errors import ConfigError, GridflowError, ParseError
from gridflow.ingest import files
from gridflow.ingest.batch import Entry, Watermark, load_batch
from gridflow.ingest.contract import IngestReport, Outcome, Parsed, counter_line
from gridflow.ingest.files import IngestTicket, file_report
from gridflow.ingest.quarantine import quarantine
from gridflow.runtime import log
from gridflow.sources.weather import ghcn_daily, nws_forecast, nws_observations, nws_points
from gridflow.sources.weather.daily import daily_from_observations
from gridflow.sources.weather.nws_points import GridPoint
from gridflow.usecases.configs import WeatherConfig, WeatherSite
from gridflow.validation import gx_adapter
from gridflow.validation.report import ValidationReport
from gridflow.warehouse import ledger
from gridflow.warehouse import weather as store
from gridflow.warehouse.documents import TableWriter

HISTORY_SOURCE = "ghcn_daily_csv"
NWS_SOURCE = "nws_weather"
DAILY = "weather_daily"
FORECAST = "weather_forecast"
OBSERVATION = "weather_observation"


def weather_config() -> WeatherConfig:
    """The `weather` settings section."""
    return section("weather", WeatherConfig)


def find_site(name: str, config: WeatherConfig | None = None) -> WeatherSite:
    """The configured site called `name`; ConfigError lists the configured ones otherwise."""
    config = config or weather_config()
    for site in config.sites:
        if site.site == name:
            return site
    raise ConfigError(f"no weather site {name!r} configured (GRIDFLOW_WEATHER__SITES has "
                      f"{[s.site for s in config.sites]})")


def selected_sites(names: list[str] | None) -> list[WeatherSite]:
    """The configured sites named in `names` (every configured site when None)."""
    config = weather_config()
    return list(config.sites) if not names else [find_site(n, config) for n in names]


# ---- history: a GHCN-Daily file ---------------------------------------------------------------

def history_site(path: str, site: str | None = None) -> str:
    """The site a GHCN file feeds: `site`, else the token after the station id in the file name
    (``USW00093721_BWI_daily_...`` -> BWI) when that site is configured."""
    if site:
        return site
    match = re.match(r"^[A-Z0-9]+_([A-Za-z0-9]+)_", Path(path).name)
    if match is None:
        raise ConfigError(f"cannot tell the weather site of {Path(path).name}: pass --site")
    return find_site(match.group(1)).site


def parse_history(engine: Engine, ticket: IngestTicket, site: str) -> Parsed:
    """Parse the ticket's GHCN file for `site`; an unreadable file is quarantined and the ParseError re-raised."""
    return files.parse_or_quarantine(engine, ticket, lambda path: ghcn_daily.parse_ghcn_daily(path, site))


def validate(frame: pd.DataFrame, suite: str) -> ValidationReport:
    """Run the weather suite `suite` (weather_daily | weather_forecast) on a frame."""
    report = gx_adapter.validate_frame(frame, suite)
    log().info(report.reason)
    return report


def load_history_or_quarantine(engine: Engine, ticket: IngestTicket, parsed: Parsed,
                               report: ValidationReport) -> Outcome:
    """Load a valid history file with its ledger row in one transaction; quarantine an invalid one
    (ValidationFailed)."""
    return files.load_or_quarantine(engine, ticket, parsed, report, store.write_weather_daily)


# ---- live: the NWS API per site ---------------------------------------------------------------

def make_client(base_url: str | None = None) -> NwsWeatherClient:
    """The NWS client for `base_url` (default: settings) with the configured User-Agent and retries."""
    config = weather_config()
    retry = RetryPolicy(max_attempts=config.max_attempts, backoff_seconds=config.backoff_seconds)
    return NwsWeatherClient(base_url or config.nws_base_url, user_agent=config.user_agent, retry=retry,
                            timeout=get_settings().http_timeout_seconds)


def resolve_grid(engine: Engine, client: NwsWeatherClient, site: WeatherSite, refresh: bool = False) -> GridPoint:
    """`site`'s NWS grid cell: cached in the watermark details of ``points/<site>`` (for the same
    coordinates), fetched from /points otherwise or when `refresh`."""
    with engine.connect() as conn:
        cached = None if refresh else store.cached_grid(conn, NWS_SOURCE, site.site)
    if cached and (cached.get("latitude"), cached.get("longitude")) == (site.latitude, site.longitude):
        return GridPoint(**{k: cached[k] for k in ("grid_id", "grid_x", "grid_y", "time_zone", "forecast_hourly")})
    fetched = client.points(site.latitude, site.longitude)
    grid = nws_points.parse_points(fetched.body, fetched.url)
    with engine.begin() as conn:
        store.cache_grid(conn, NWS_SOURCE, site.site, fetched.fetched_at_utc,
                         {**grid.as_dict(), "latitude": site.latitude, "longitude": site.longitude})
    log().info("%s: NWS grid %s/%d,%d (%s)", site.site, grid.grid_id, grid.grid_x, grid.grid_y, fetched.url)
    return grid


def fetch_forecast(engine: Engine, client: NwsWeatherClient, site: WeatherSite) -> Fetched:
    """The site's hourly forecast; a cached grid cell the API no longer knows (404) is resolved again."""
    grid = resolve_grid(engine, client, site)
    try:
        return client.forecast_hourly(grid.grid_id, grid.grid_x, grid.grid_y)
    except HttpError as exc:
        if exc.status != 404:
            raise
        log().warning("%s: %s; resolving the point again", site.site, exc)
    grid = resolve_grid(engine, client, site, refresh=True)
    return client.forecast_hourly(grid.grid_id, grid.grid_x, grid.grid_y)


def stale_reason(update_time: datetime, latest: datetime | None, now_utc: datetime, stale_after_hours: float) -> str:
    """Why a vintage is stale (already stored, older than the newest, or too old), or "" when fresh."""
    if latest is not None and update_time == latest:
        return f"stale: vintage {update_time:%Y-%m-%d %H:%M} UTC is already stored"
    if latest is not None and update_time < latest:
        return f"stale: vintage {update_time:%Y-%m-%d %H:%M} UTC is older than the stored {latest:%Y-%m-%d %H:%M} UTC"
    age = (now_utc - update_time).total_seconds() / 3600
    if age > stale_after_hours:
        return f"stale: updateTime {update_time:%Y-%m-%d %H:%M} UTC is {age:.1f} h old (limit {stale_after_hours:g} h)"
    return ""


def ingest_forecast(engine: Engine, site: WeatherSite, client: NwsWeatherClient, now_utc: datetime) -> Outcome:
    """Fetch, parse, check and load (or skip as stale, or quarantine) the site's current vintage."""
    fetched = fetch_forecast(engine, client, site)
    sha = hashlib.sha256(fetched.body).hexdigest()
    with engine.begin() as conn:
        ledger_id = ledger.start_ingest(conn, NWS_SOURCE, FORECAST, fetched.url, sha)
    item = f"{site.site}/forecast"
    try:
        vintage = nws_forecast.parse_forecast_hourly(fetched.body, site.site, pd.Timestamp(fetched.fetched_at_utc),
                                                     fetched.url)
    except ParseError as exc:
        return _quarantined(engine, item, FORECAST, ledger_id, str(exc), {"parse_error": exc.detail}, fetched)
    facts = {"update_time_utc": vintage.update_time_utc.isoformat(), "null_temperatures": vintage.null_temperatures,
             "generated_at_utc": None if vintage.generated_at_utc is None else vintage.generated_at_utc.isoformat()}
    rows = len(vintage.frame)
    if vintage.null_temperatures == rows:
        return _quarantined(engine, item, FORECAST, ledger_id, f"all {rows} hourly temperatures are null",
                            facts, fetched, rows)
    with engine.connect() as conn:
        latest = store.latest_vintage(conn, site.site)
    stale = stale_reason(vintage.update_time_utc.to_pydatetime(), latest, now_utc, weather_config().stale_after_hours)
    if stale:
        with engine.begin() as conn:
            ledger.finish_ingest(conn, ledger_id, "skipped", rows_read=rows, rows_written=0, reason=stale,
                                 details={**facts, "issues": vintage.issues})
        log().warning("%s: %s; nothing written", site.site, stale)
        return Outcome(item, "skipped", rows, 0, ledger_id, stale, list(vintage.issues), {**facts, "stale": True})
    checked = validate(vintage.frame, FORECAST)
    if not checked.success:
        return _quarantined(engine, item, FORECAST, ledger_id, checked.reason, {**facts, **checked.as_dict()},
                            fetched, rows)
    loaded = load_batch(engine, Entry(NWS_SOURCE, FORECAST, fetched.url, sha, ledger_id), store.write_weather_forecast,
                        vintage.parsed, details=facts,
                        watermark=Watermark(f"forecast/{site.site}", vintage.update_time_utc.to_pydatetime()))
    return Outcome(item, "loaded", rows, loaded.rows_written, ledger_id,
                   f"vintage {vintage.update_time_utc:%Y-%m-%d %H:%M} UTC loaded", list(vintage.issues),
                   {**facts, "stale": False})


def _observation_writer(daily: pd.DataFrame) -> TableWriter:
    def write(conn: Connection, frame: pd.DataFrame, ingest_id: int | None) -> int:
        written = store.write_weather_observations(conn, frame, ingest_id)
        if not daily.empty:
            written += store.write_weather_daily(conn, daily, ingest_id)
        return written
    return write


def ingest_observations(engine: Engine, site: WeatherSite, client: NwsWeatherClient, now_utc: datetime) -> Outcome:
    """Fetch the station's recent observations; load them and the closed days they complete."""
    config = weather_config()
    fetched = client.observations(site.station, now_utc - timedelta(days=config.observation_days))
    sha = hashlib.sha256(fetched.body).hexdigest()
    item = f"{site.site}/observations"
    with engine.begin() as conn:
        ledger_id = ledger.start_ingest(conn, NWS_SOURCE, OBSERVATION, fetched.url, sha)
    try:
        parsed = nws_observations.parse_observations(fetched.body, fetched.url)
    except ParseError as exc:
        return _quarantined(engine, item, OBSERVATION, ledger_id, str(exc), {"parse_error": exc.detail}, fetched)
    daily = daily_from_observations(parsed.frame, site.tz, now_utc=pd.Timestamp(now_utc))
    daily = daily.rename(columns={"station": "site"}).assign(site=site.site)[store.DAILY_COLUMNS]
    if not daily.empty:
        checked = validate(daily, DAILY)
        if not checked.success:
            return _quarantined(engine, item, OBSERVATION, ledger_id, checked.reason, checked.as_dict(), fetched,
                                parsed.rows_read)
    if parsed.frame.empty:
        with engine.begin() as conn:
            ledger.finish_ingest(conn, ledger_id, "loaded", rows_read=0, rows_written=0, reason="no observations")
        return Outcome(item, "loaded", 0, 0, ledger_id, "no observations in the window", [], {"days": 0})
    # skip_loaded: the same answer again (nothing new at the station) is recorded as skipped.
    loaded = load_batch(engine, Entry(NWS_SOURCE, OBSERVATION, fetched.url, sha, ledger_id),
                        _observation_writer(daily), parsed, details={"days": len(daily)}, skip_loaded=True)
    reason = loaded.reason if loaded.status == "skipped" else \
        f"{len(parsed.frame)} observations, {len(daily)} closed day(s)"
    return Outcome(item, loaded.status, parsed.rows_read, loaded.rows_written, ledger_id, reason,
                   list(parsed.issues), {"days": len(daily)})


def ingest_nws_site(engine: Engine, site: WeatherSite, base_url: str | None = None,
                    now_utc: datetime | None = None) -> list[Outcome]:
    """Forecast and observations of one site. `now_utc` is the clock staleness is judged against
    (default: now). HTTP errors after the client's retries propagate: the site fails, stored
    vintages stay."""
    now = datetime.now(UTC) if now_utc is None else pd.Timestamp(now_utc).tz_convert("UTC").to_pydatetime()
    with make_client(base_url) as client:
        return [ingest_forecast(engine, site, client, now), ingest_observations(engine, site, client, now)]


def _quarantined(engine: Engine, item: str, dataset: str, ledger_id: int, reason: str, details: dict,
                 fetched: Fetched, rows_read: int = 0) -> Outcome:
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", item) + ".json"
    kept = quarantine(engine, dataset, ledger_id, reason, {**details, "url": fetched.url}, name=name,
                      data=fetched.body, rows_read=rows_read, locator=fetched.url)
    return Outcome(item, "quarantined", rows_read, 0, ledger_id, f"{reason} (kept at {kept})")


def failed_site(site: str, error: BaseException | None) -> list[Outcome]:
    """The outcome of a site whose task failed (e.g. the API kept answering 500)."""
    reason = f"{type(error).__name__}: {error}" if error else "failed"
    return [Outcome(f"{site}/forecast", "failed", reason=reason)]


def weather_report(outcomes: list[Outcome]) -> IngestReport:
    """Totals of one NWS run, its CLI line and its artifact (one row per site and feed)."""
    def count(status: str) -> int:
        return sum(1 for o in outcomes if o.status == status)

    stale = [o.item for o in outcomes if o.facts.get("stale")]
    nulls = sum(int(o.facts.get("null_temperatures") or 0) for o in outcomes if o.status == "loaded")
    written = sum(o.rows_written for o in outcomes)
    line = counter_line([*((s, count(s)) for s in ("loaded", "skipped", "quarantined", "failed")),
                         ("stale", len(stale)), ("null_temperatures", nulls), ("rows_written", written)])
    rows = [{"input": o.item, "status": o.status, "vintage (UTC)": o.facts.get("update_time_utc", ""),
             "stale": bool(o.facts.get("stale")), "null temperatures": o.facts.get("null_temperatures", ""),
             "rows read": o.rows_read, "rows written": o.rows_written, "ledger id": o.ledger_id,
             "reason": o.reason[:300]} for o in outcomes]
    description = f"NWS weather: {line}"
    log().info(description)
    return IngestReport(NWS_SOURCE, ",".join(sorted({o.item.split("/")[0] for o in outcomes})), list(outcomes),
                        line, "ingest-weather", description, rows,
                        {"stale": stale, "null_temperatures": nulls})


def history_report(outcome: Outcome) -> IngestReport:
    """The report of one GHCN history file (the shape of every operator-named file)."""
    return file_report(DAILY, outcome)


class WeatherIngestError(GridflowError):
    """Some sites failed (the API kept failing); the others were loaded and stored vintages stay."""


def failure_error(report: IngestReport) -> WeatherIngestError | None:
    """The error a run with failed sites ends with (after its report is published), or None."""
    failed = [o for o in report.outcomes if o.status == "failed"]
    if not failed:
        return None
    return WeatherIngestError(f"{len(failed)} weather site(s) failed; their last good vintage stays: "
                              + "; ".join(f"{o.item}: {o.reason}" for o in failed[:5]))
