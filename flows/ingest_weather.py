"""DAGs of the weather source.

ingest-weather: configured sites -> per site: points (cached) -> hourly forecast -> stale? skip :
validate -> load vintage (or quarantine); observations -> load with the closed days -> report.
ingest-weather-history: GHCN-Daily file -> fingerprint -> parse -> validate -> load (or quarantine) -> report.
"""

from __future__ import annotations

from pathlib import Path

from prefect import flow
from prefect.runtime import flow_run

from gridflow import run_names
from gridflow.ingest.contract import IngestReport
from gridflow.ingest.files import skipped_outcome
from gridflow.ingest.weather import DAILY, failed_site, failure_error, history_report, weather_report
from tasks.ingest import publish_report
from tasks.ingest_weather import (
    ingest_weather_site,
    load_weather_history,
    open_weather_history,
    parse_weather_history,
    plan_weather_sites,
    validate_weather,
)


def _run_name() -> str:
    return run_names.weather_ingest_name(flow_run.parameters.get("sites"))


@flow(name="ingest-weather", flow_run_name=_run_name, log_prints=True)
def ingest_weather(sites: list[str] | None = None, base_url: str | None = None,
                   as_of_utc: str | None = None) -> IngestReport:
    """Load the current NWS forecast vintage and recent observations of every configured site (or `sites`).

    `base_url`: default settings (https://api.weather.gov); `as_of_utc`: the clock a vintage's
    staleness is judged against (default now; the offline demo replays an old vintage). Fails after
    the summary when a site kept failing; the other sites are loaded and stored vintages stay.
    """
    outcomes = []
    for site in plan_weather_sites(sites):
        state = ingest_weather_site(site, base_url, as_of_utc, return_state=True)
        outcomes.extend(state.result() if state.is_completed() else
                        failed_site(site, state.result(raise_on_failure=False)))
    report = publish_report(weather_report(outcomes))
    error = failure_error(report)
    if error is not None:
        raise error
    return report


def _history_run_name() -> str:
    return f"ingest-weather-history-{Path(flow_run.parameters['path']).name}"


@flow(name="ingest-weather-history", flow_run_name=_history_run_name, log_prints=True)
def ingest_weather_history(path: str, site: str | None = None) -> IngestReport:
    """Load one GHCN-Daily history CSV into `weather_daily`, once, and only if it passes its suite."""
    ticket = open_weather_history(path)
    if ticket.already_loaded_by is not None:
        return publish_report(history_report(skipped_outcome(ticket)))
    parsed = parse_weather_history(ticket, site)
    report = validate_weather(parsed.frame, suite=DAILY)
    outcome = load_weather_history(ticket, parsed, report)
    return publish_report(history_report(outcome))
