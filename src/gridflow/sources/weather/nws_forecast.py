"""NWS hourly grid forecast (`/gridpoints/{id}/{x},{y}/forecast/hourly`) -> `weather_forecast` rows of one vintage.

The vintage is the document's own `updateTime` (when the forecaster's grid was last updated);
`generatedAt` is when the API rendered it. Temperatures are stored in F (a `temperatureUnit` of C,
or a `{unitCode, value}` temperature in degC, is converted); dewpoint in degC; relative humidity in
percent; `windSpeed` text ("10 mph", "5 to 10 mph": the mean, "km/h" converted) in mph. A null
value stays null and null temperatures are counted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from gridflow.errors import ParseError
from gridflow.ingest.contract import Parsed
from gridflow.sources.weather.nws_points import load_json, properties

FORMAT = "nws_forecast_hourly"
COLUMNS = ["site", "update_time_utc", "valid_start_utc", "valid_end_utc", "temperature_f", "dewpoint_c",
           "relative_humidity_pct", "wind_speed_mph", "generated_at_utc", "fetched_at_utc"]
_WIND = re.compile(r"^\s*(\d+(?:\.\d+)?)(?:\s+to\s+(\d+(?:\.\d+)?))?\s*(mph|km/h|kt)?\s*$", re.IGNORECASE)
_WIND_TO_MPH = {"mph": 1.0, "km/h": 0.621371, "kt": 1.150779}


@dataclass(frozen=True)
class ForecastVintage:
    """One parsed hourly forecast: its rows, its vintage and how many temperatures were null."""

    frame: pd.DataFrame
    update_time_utc: pd.Timestamp
    generated_at_utc: pd.Timestamp | None
    null_temperatures: int
    issues: list[str] = field(default_factory=list)

    @property
    def parsed(self) -> Parsed:
        """The vintage as the ingestion contract's parse result."""
        return Parsed(self.frame, list(self.issues), rows_read=len(self.frame), format=FORMAT)


def instant(value: Any, what: str, name: str) -> pd.Timestamp:
    """An ISO 8601 time with offset as a UTC Timestamp; ParseError for a missing or naive one."""
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError):
        raise ParseError(name, f"{what} {value!r} is not an ISO 8601 time") from None
    if pd.isna(ts) or ts.tzinfo is None:
        raise ParseError(name, f"{what} {value!r} has no UTC offset")
    return ts.tz_convert("UTC")


def temperature_f(period: dict[str, Any], where: str, name: str) -> float:
    """A period's temperature in F (None -> NaN); converts degC in either of the API's two shapes."""
    value = period.get("temperature")
    unit = str(period.get("temperatureUnit") or "F")
    if isinstance(value, dict):  # the API's newer QuantitativeValue shape
        unit = "C" if "degC" in str(value.get("unitCode", "")) else "F"
        value = value.get("value")
    if value is None:
        return np.nan
    number = _float(value, f"{where} temperature", name)
    if unit.upper() == "C":
        return number * 9 / 5 + 32
    if unit.upper() != "F":
        raise ParseError(name, f"{where}: temperatureUnit {unit!r} is neither F nor C")
    return number


def quantity(period: dict[str, Any], key: str, where: str, name: str) -> float:
    """A `{unitCode, value}` field's value (degF dewpoints converted to degC); absent or null -> NaN."""
    item = period.get(key)
    if item is None:
        return np.nan
    if not isinstance(item, dict):
        raise ParseError(name, f"{where}: {key} {item!r} is not a {{unitCode, value}} object")
    value = item.get("value")
    if value is None:
        return np.nan
    number = _float(value, f"{where} {key}", name)
    return (number - 32) * 5 / 9 if "degF" in str(item.get("unitCode", "")) else number


def wind_mph(text: Any, where: str, name: str) -> float:
    """`windSpeed` text in mph: "10 mph" -> 10.0, "5 to 10 mph" -> 7.5; null or empty -> NaN."""
    if text is None or (isinstance(text, str) and not text.strip()):
        return np.nan
    if isinstance(text, int | float):
        return float(text)
    match = _WIND.match(str(text))
    if match is None:
        raise ParseError(name, f"{where}: windSpeed {text!r} is not like '10 mph'")
    low, high, unit = match.groups()
    speed = (float(low) + float(high)) / 2 if high else float(low)
    return speed * _WIND_TO_MPH[(unit or "mph").lower()]


def _float(value: Any, what: str, name: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ParseError(name, f"{what} {value!r} is not a number") from None


def parse_forecast_hourly(body: bytes | str | dict, site: str, fetched_at_utc: pd.Timestamp,
                          name: str = "/forecast/hourly") -> ForecastVintage:
    """Parse one hourly forecast answer into rows of `site`'s vintage; ParseError names the period."""
    props = properties(load_json(body, name), name)
    if props.get("updateTime") is None:
        raise ParseError(name, "properties lack 'updateTime' (the forecast's vintage)")
    update = instant(props["updateTime"], "updateTime", name)
    generated = instant(props["generatedAt"], "generatedAt", name) if props.get("generatedAt") else None
    periods = props.get("periods")
    if not isinstance(periods, list) or not periods:
        raise ParseError(name, "properties.periods is missing or empty")
    rows = []
    for i, period in enumerate(periods, start=1):
        where = f"period {period.get('number', i) if isinstance(period, dict) else i}"
        if not isinstance(period, dict):
            raise ParseError(name, f"{where} is not an object")
        start = instant(period.get("startTime"), f"{where} startTime", name)
        end = instant(period.get("endTime"), f"{where} endTime", name)
        rows.append((start, end, temperature_f(period, where, name), quantity(period, "dewpoint", where, name),
                     quantity(period, "relativeHumidity", where, name),
                     wind_mph(period.get("windSpeed"), where, name)))
    start, end, temp, dew, rh, wind = zip(*rows, strict=True)
    frame = pd.DataFrame({
        "site": site, "update_time_utc": update,
        "valid_start_utc": pd.DatetimeIndex(start).as_unit("ns"), "valid_end_utc": pd.DatetimeIndex(end).as_unit("ns"),
        "temperature_f": np.array(temp, dtype="float64"), "dewpoint_c": np.array(dew, dtype="float64"),
        "relative_humidity_pct": np.array(rh, dtype="float64"), "wind_speed_mph": np.array(wind, dtype="float64"),
        "generated_at_utc": generated if generated is not None else pd.NaT,
        "fetched_at_utc": pd.Timestamp(fetched_at_utc).tz_convert("UTC"),
    })
    for column in ("update_time_utc", "generated_at_utc", "fetched_at_utc"):
        frame[column] = frame[column].astype("datetime64[ns, UTC]")
    nulls = int(frame["temperature_f"].isna().sum())
    issues = [f"{nulls} of {len(frame)} hourly temperature(s) null (kept as null)"] if nulls else []
    return ForecastVintage(frame[COLUMNS], update, generated, nulls, issues)
