"""Weather: the one write path into `weather_forecast`, `weather_observation`, `weather_daily`, and reads.

Point-in-time rule: a forecast vintage counts as known from its own `updateTime`
(`update_time_utc`); `fetched_at_utc` is audit only. A vintage is written once: a re-fetch of the
same vintage changes nothing (first write wins on the key) and a new vintage adds rows, never
overwriting older ones. Observations overwrite (NWS re-issues quality-controlled values).
Daily extremes: a GHCN-Daily row always wins over a row derived from NWS observations.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Select, func, literal_column, or_, select

from gridflow.warehouse.loads import raw, utc_bound
from gridflow.warehouse.tables import ingest_watermark, weather_daily, weather_forecast, weather_observation
from gridflow.warehouse.upsert import upsert_frame
from gridflow.warehouse.watermarks import set_watermark

GHCN_DAILY = "ghcn_daily"
NWS_OBSERVATIONS = "nws_observations"

FORECAST_KEY = ["site", "update_time_utc", "valid_start_utc"]
FORECAST_TIMES = ["update_time_utc", "valid_start_utc", "valid_end_utc"]
FORECAST_VALUES = ["temperature_f", "dewpoint_c", "relative_humidity_pct", "wind_speed_mph"]
FORECAST_AUDIT = ["generated_at_utc", "fetched_at_utc"]
FORECAST_COLUMNS = ["site", *FORECAST_TIMES, *FORECAST_VALUES, *FORECAST_AUDIT]

OBSERVATION_KEY = ["station", "observed_at_utc"]
OBSERVATION_COLUMNS = [*OBSERVATION_KEY, "temperature_c", "dewpoint_c", "quality_control"]

DAILY_KEY = ["site", "local_date"]
DAILY_VALUES = ["tmax_f", "tmin_f", "prcp_in"]
DAILY_COLUMNS = [*DAILY_KEY, *DAILY_VALUES, "source"]


def _require(frame: pd.DataFrame, columns: Sequence[str], table: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{table} frame lacks column(s) {missing}; expected {list(columns)}")


def _floats(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    # Nullable values arrive as object/None from parsers; the float64 column binds NaN as NULL.
    return frame.assign(**{c: pd.to_numeric(frame[c], errors="raise").astype("float64") for c in columns})


def write_weather_forecast(conn: Connection, frame: pd.DataFrame, ingest_id: int | None) -> int:
    """Insert forecast rows (`FORECAST_COLUMNS`) tagged with `ingest_id`; rows whose
    (site, update_time_utc, valid_start_utc) is stored are left as they are. Returns rows inserted."""
    _require(frame, FORECAST_COLUMNS, "weather_forecast")
    out = _floats(frame.loc[:, FORECAST_COLUMNS], FORECAST_VALUES).assign(ingest_id=ingest_id)
    return upsert_frame(conn, weather_forecast, out, FORECAST_KEY, update_columns=[])


def write_weather_observations(conn: Connection, frame: pd.DataFrame, ingest_id: int | None) -> int:
    """Upsert station observations (`OBSERVATION_COLUMNS`) tagged with `ingest_id`; returns rows written."""
    _require(frame, OBSERVATION_COLUMNS, "weather_observation")
    out = _floats(frame.loc[:, OBSERVATION_COLUMNS], ["temperature_c", "dewpoint_c"])
    out = out.assign(ingest_id=ingest_id, updated_at=datetime.now(UTC))
    return upsert_frame(conn, weather_observation, out, OBSERVATION_KEY)


def ghcn_wins(table: Any, excluded: Any) -> Any:
    """SQL condition for replacing a stored daily row: it is not GHCN, or the new one is."""
    # An inline literal: the bulk upsert binds only frame columns as parameters.
    ghcn = literal_column(f"'{GHCN_DAILY}'")
    return or_(table.c.source != ghcn, excluded.source == ghcn)


def write_weather_daily(conn: Connection, frame: pd.DataFrame, ingest_id: int | None) -> int:
    """Upsert daily extremes (`DAILY_COLUMNS`, `local_date` a date) tagged with `ingest_id`; a stored
    GHCN row is never replaced by an observations-derived one. Returns rows written."""
    _require(frame, DAILY_COLUMNS, "weather_daily")
    out = _floats(frame.loc[:, DAILY_COLUMNS], DAILY_VALUES)
    out["local_date"] = [pd.Timestamp(d).date() for d in out["local_date"]]
    out = out.assign(ingest_id=ingest_id, updated_at=datetime.now(UTC))
    return upsert_frame(conn, weather_daily, out, DAILY_KEY, update_where=ghcn_wins)


def _fetch(conn: Connection, stmt: Select[Any]) -> list[tuple[Any, ...]]:
    result = conn.execute(stmt)
    try:
        return result.cursor.fetchall()  # plain tuples: see loads.read_load_observations
    finally:
        result.close()


def _utc(values: Sequence[Any]) -> pd.DatetimeIndex:
    # Naive UTC text (SQLite) or naive datetimes (PostgreSQL via `raw`); None stays NaT.
    return pd.to_datetime(pd.Index(values, dtype=object), utc=True, format="ISO8601").as_unit("ns")


def read_weather_daily(
    conn: Connection,
    sites: list[str],
    start_date: date | None = None,
    end_date: date | None = None,
) -> pd.DataFrame:
    """Daily extremes for `sites` with start_date <= local_date <= end_date (both inclusive,
    either None for open-ended): `DAILY_COLUMNS`, `local_date` naive midnight; sorted by key."""
    c = weather_daily.c
    stmt = select(c.site, c.local_date, c.tmax_f, c.tmin_f, c.prcp_in, c.source).where(
        c.site.in_(sorted(set(sites)))
    )
    if start_date is not None:
        stmt = stmt.where(c.local_date >= pd.Timestamp(start_date).date())
    if end_date is not None:
        stmt = stmt.where(c.local_date <= pd.Timestamp(end_date).date())
    rows = _fetch(conn, stmt.order_by(c.site, c.local_date))
    site, day, tmax, tmin, prcp, source = zip(*rows, strict=True) if rows else ([],) * 6
    return pd.DataFrame({
        "site": pd.Series(site, dtype=object).astype(str),
        "local_date": pd.to_datetime(pd.Index(day, dtype=object).astype(str), format="ISO8601").as_unit("ns"),
        "tmax_f": np.array(tmax, dtype="float64"),
        "tmin_f": np.array(tmin, dtype="float64"),
        "prcp_in": np.array(prcp, dtype="float64"),
        "source": pd.Series(source, dtype=object).astype(str),
    })


def read_weather_forecasts(
    conn: Connection,
    sites: list[str],
    valid_from_utc: pd.Timestamp | None = None,
    valid_to_utc: pd.Timestamp | None = None,
    known_by_utc: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Forecast rows for `sites` with valid_from_utc <= valid_start_utc < valid_to_utc, keeping only
    vintages with update_time_utc <= known_by_utc (the point-in-time rule) when it is given.
    Columns `FORECAST_COLUMNS`; sorted by site, update_time_utc, valid_start_utc. Bounds tz-aware."""
    c = weather_forecast.c
    dialect = conn.dialect.name
    stmt = select(
        c.site, *(raw(c[name], dialect) for name in FORECAST_TIMES), *(c[name] for name in FORECAST_VALUES),
        *(raw(c[name], dialect) for name in FORECAST_AUDIT),
    ).where(c.site.in_(sorted(set(sites))))
    lo, hi = utc_bound(valid_from_utc, "valid_from_utc"), utc_bound(valid_to_utc, "valid_to_utc")
    known = utc_bound(known_by_utc, "known_by_utc")
    if lo is not None:
        stmt = stmt.where(c.valid_start_utc >= lo)
    if hi is not None:
        stmt = stmt.where(c.valid_start_utc < hi)
    if known is not None:
        stmt = stmt.where(c.update_time_utc <= known)
    rows = _fetch(conn, stmt.order_by(c.site, c.update_time_utc, c.valid_start_utc))
    cols = list(zip(*rows, strict=True)) if rows else [()] * len(FORECAST_COLUMNS)
    data: dict[str, Any] = {"site": pd.Series(cols[0], dtype=object).astype(str)}
    for i, name in enumerate(FORECAST_COLUMNS[1:], start=1):
        data[name] = np.array(cols[i], dtype="float64") if name in FORECAST_VALUES else _utc(cols[i])
    return pd.DataFrame(data)


def read_weather_observations(
    conn: Connection,
    stations: list[str],
    start_utc: Any = None,
    end_utc: Any = None,
) -> pd.DataFrame:
    """Station observations for `stations` over [start_utc, end_utc) (tz-aware, either None):
    `OBSERVATION_COLUMNS` with `observed_at_utc` datetime64[ns, UTC]; sorted by key."""
    c = weather_observation.c
    stmt = select(c.station, raw(c.observed_at_utc, conn.dialect.name), c.temperature_c, c.dewpoint_c,
                  c.quality_control).where(c.station.in_(sorted(set(stations))))
    start, end = utc_bound(start_utc, "start_utc"), utc_bound(end_utc, "end_utc")
    if start is not None:
        stmt = stmt.where(c.observed_at_utc >= start)
    if end is not None:
        stmt = stmt.where(c.observed_at_utc < end)
    rows = _fetch(conn, stmt.order_by(c.station, c.observed_at_utc))
    station, at, temp, dew, qc = zip(*rows, strict=True) if rows else ([],) * 5
    return pd.DataFrame({
        "station": pd.Series(station, dtype=object).astype(str),
        "observed_at_utc": _utc(at),
        "temperature_c": np.array(temp, dtype="float64"),
        "dewpoint_c": np.array(dew, dtype="float64"),
        "quality_control": pd.Series(qc, dtype=object),
    })


def latest_vintage(conn: Connection, site: str) -> datetime | None:
    """The newest stored forecast vintage (update_time_utc) of `site`, or None."""
    c = weather_forecast.c
    # func.max loses the column type: the value comes back as the driver's (text on SQLite).
    value = conn.execute(select(func.max(c.update_time_utc)).where(c.site == site)).scalar_one_or_none()
    if value is None:
        return None
    ts = pd.Timestamp(value)
    return (ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")).to_pydatetime()


def cached_grid(conn: Connection, source: str, site: str) -> dict[str, Any] | None:
    """The NWS grid cell cached for `site` (the watermark details of stream ``points/<site>``), or None."""
    t = ingest_watermark.c
    stmt = select(t.details).where(t.source == source, t.stream == f"points/{site}")
    details = conn.execute(stmt).scalar_one_or_none()
    return details if isinstance(details, dict) else None


def cache_grid(conn: Connection, source: str, site: str, fetched_at_utc: datetime, grid: dict[str, Any]) -> None:
    """Remember `site`'s NWS grid cell (replacing an older one: a re-resolved point wins)."""
    set_watermark(conn, source, f"points/{site}", fetched_at_utc, grid, force=True)
