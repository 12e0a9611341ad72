"""NWS station observations (`/stations/{id}/observations`) -> `weather_observation` rows.

Temperatures and dewpoints in degC (a degF unitCode is converted); `qualityControl` kept as its
letter ("qc:V" -> "V"); null values stay null. The API may list one timestamp twice (a corrected
report): the row with a temperature wins, then the later one in the document.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from gridflow.errors import ParseError
from gridflow.ingest.contract import Parsed
from gridflow.sources.weather.nws_forecast import instant
from gridflow.sources.weather.nws_points import load_json

FORMAT = "nws_observations"
COLUMNS = ["station", "observed_at_utc", "temperature_c", "dewpoint_c", "quality_control"]


def _celsius(item: Any, what: str, name: str) -> float:
    if not isinstance(item, dict) or item.get("value") is None:
        return np.nan
    try:
        value = float(item["value"])
    except (TypeError, ValueError):
        raise ParseError(name, f"{what} {item['value']!r} is not a number") from None
    return (value - 32) * 5 / 9 if "degF" in str(item.get("unitCode", "")) else value


def _station(props: dict[str, Any], where: str, name: str) -> str:
    station = props.get("stationIdentifier") or str(props.get("station") or "").rstrip("/").rsplit("/", 1)[-1]
    if not station:
        raise ParseError(name, f"{where}: no station (properties.station URL or stationIdentifier)")
    return station


def parse_observations(body: bytes | str | dict, name: str = "/observations") -> Parsed:
    """Parse an observations FeatureCollection; ParseError names the feature that is malformed."""
    doc = load_json(body, name)
    features = doc.get("features")
    if not isinstance(features, list):
        raise ParseError(name, "no 'features' list (not an observations FeatureCollection)")
    rows = []
    for i, feature in enumerate(features, start=1):
        props = feature.get("properties") if isinstance(feature, dict) else None
        if not isinstance(props, dict):
            raise ParseError(name, f"feature {i} has no properties")
        where = f"feature {i}"
        temp = props.get("temperature")
        qc = temp.get("qualityControl") if isinstance(temp, dict) else None
        rows.append((_station(props, where, name), instant(props.get("timestamp"), f"{where} timestamp", name),
                     _celsius(temp, f"{where} temperature", name),
                     _celsius(props.get("dewpoint"), f"{where} dewpoint", name),
                     None if qc is None else str(qc).removeprefix("qc:")))
    frame = pd.DataFrame(rows, columns=COLUMNS) if rows else pd.DataFrame({c: [] for c in COLUMNS})
    frame["observed_at_utc"] = pd.to_datetime(frame["observed_at_utc"], utc=True).astype("datetime64[ns, UTC]")
    frame["temperature_c"] = frame["temperature_c"].astype("float64")
    frame["dewpoint_c"] = frame["dewpoint_c"].astype("float64")
    frame["quality_control"] = frame["quality_control"].astype(object)
    issues = []
    nulls = int(frame["temperature_c"].isna().sum())
    # Stable sort: among equal keys a row with a temperature comes last, then keep="last" picks it.
    ranked = frame.assign(_has=frame["temperature_c"].notna()).sort_values(
        ["station", "observed_at_utc", "_has"], kind="stable")
    deduped = ranked.drop_duplicates(["station", "observed_at_utc"], keep="last").drop(columns="_has")
    if len(deduped) < len(frame):
        dropped = len(frame) - len(deduped)
        issues.append(f"{dropped} repeated observation time(s) dropped (the one with a temperature kept)")
    if nulls:
        issues.append(f"{nulls} of {len(frame)} observation(s) without a temperature (kept as null)")
    return Parsed(deduped.reset_index(drop=True)[COLUMNS], issues, rows_read=len(frame), format=FORMAT)
