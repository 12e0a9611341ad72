"""Tasks of the weather ingestion (NWS per site; GHCN history files). The logic is in
`gridflow.ingest.weather`; only network and database hiccups are retried by Prefect (the NWS
client already retried 429/5xx per settings)."""

from __future__ import annotations

import pandas as pd
from prefect import task

from gridflow.ingest import files
from gridflow.ingest import weather as ingest
from gridflow.ingest.contract import Outcome, Parsed
from gridflow.ingest.files import IngestTicket
from gridflow.validation.report import ValidationReport
from tasks.common import LIGHT, WORK, warehouse


@task(name="plan-weather-sites", **LIGHT)
def plan_weather_sites(sites: list[str] | None = None) -> list[str]:
    """The configured sites to ingest (all of them when `sites` is None); unknown names fail here."""
    return [s.site for s in ingest.selected_sites(sites)]


@task(name="ingest-weather-site", task_run_name="ingest-weather-{site}", **WORK)
def ingest_weather_site(site: str, base_url: str | None = None, as_of_utc: str | None = None) -> list[Outcome]:
    """One site's NWS hourly forecast vintage and station observations (fetch, check, load or skip)."""
    return ingest.ingest_nws_site(warehouse(), ingest.find_site(site), base_url,
                                  None if as_of_utc is None else pd.Timestamp(as_of_utc))


@task(name="open-weather-history", **WORK)
def open_weather_history(path: str) -> IngestTicket:
    """Hash the GHCN file and open a ledger row; a file already loaded is marked skipped."""
    return files.open_ticket(warehouse(), path, ingest.DAILY, ingest.HISTORY_SOURCE)


@task(name="parse-weather-history", **WORK)
def parse_weather_history(ticket: IngestTicket, site: str | None = None) -> Parsed:
    """Parse a GHCN-Daily CSV into `weather_daily` rows (quarantined when unreadable)."""
    return ingest.parse_history(warehouse(), ticket, ingest.history_site(ticket.path, site))


@task(name="validate-weather", task_run_name="validate-{suite}", **LIGHT)
def validate_weather(frame: pd.DataFrame, suite: str) -> ValidationReport:
    """Run a weather expectation suite on a parsed batch."""
    return ingest.validate(frame, suite)


@task(name="load-weather-history", **WORK)
def load_weather_history(ticket: IngestTicket, parsed: Parsed, report: ValidationReport) -> Outcome:
    """Upsert a valid history batch and close its ledger row in one transaction; quarantine an invalid one."""
    return ingest.load_history_or_quarantine(warehouse(), ticket, parsed, report)
