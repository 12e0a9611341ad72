"""What each issued forecast publishes: its table rows, the PNG of the band against last week's
load (kept under the gridflow home), and a markdown summary embedding that PNG."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy.engine import Engine

from gridflow import frames as f
from gridflow.issuing import plots, report
from gridflow.issuing.issue import IssuedForecast
from gridflow.warehouse.forecast_issued import ACTUAL_MW
from gridflow.warehouse.loads import read_load_observations

HISTORY_DAYS = 7


@dataclass(frozen=True)
class Publication:
    """The artifacts of one issued forecast."""

    key: str  # Prefect artifact key (lowercase letters, digits, dashes)
    description: str
    table: list[dict[str, Any]]
    markdown: str
    png_path: Path


def artifact_key(zone: str) -> str:
    """`load-forecast-<zone>` in the characters Prefect allows in artifact keys."""
    return "load-forecast-" + re.sub(r"[^a-z0-9]+", "-", zone.lower()).strip("-")


def png_path(home: Path, issued: IssuedForecast) -> Path:
    """Where the plot of an issued forecast is kept: $GRIDFLOW_HOME/forecasts/<zone>/<date>_<model>_v<n>.png."""
    return home / "forecasts" / issued.zone / f"{issued.target_date}_{issued.model_name}_v{issued.model_version}.png"


def prepare(engine: Engine, issued: IssuedForecast, home: Path) -> Publication:
    """Read the zone's last week of load (and the target day's, if landed), plot, write the PNG and
    build the table and markdown of `issued`."""
    start = issued.rows["target_start_utc"].min() - pd.Timedelta(days=HISTORY_DAYS)
    end = issued.rows["target_start_utc"].max() + pd.Timedelta(hours=1)
    with engine.connect() as conn:
        actuals = read_load_observations(conn, zone=issued.zone, start_utc=start, end_utc=end)
    landed = actuals.set_index(f.INTERVAL_START_UTC)[f.LOAD_MW]
    rows = issued.rows.assign(**{ACTUAL_MW: issued.rows["target_start_utc"].map(landed).astype("float64")})
    title = (f"{issued.zone} day-ahead load forecast for {issued.target_date} "
             f"({issued.model_name} v{issued.model_version})")
    png = plots.forecast_png(rows, actuals, title)
    path = plots.write_png(png, png_path(home, issued))
    lines = [issued.describe(), report.summary_line(rows), f"plot file: {path}"]
    lines += [f"note: {n}" for n in issued.notes]
    return Publication(artifact_key(issued.zone), f"{issued.zone} {issued.target_date}: P10/P50/P90 per hour",
                       report.table_rows(rows), report.markdown(title, lines, png), path)
