"""NWS `/points/{lat},{lon}` answer -> the forecast grid cell of a location."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from gridflow.errors import ParseError


@dataclass(frozen=True)
class GridPoint:
    """The NWS grid cell (office `grid_id`, `grid_x`, `grid_y`) covering a point, and its time zone."""

    grid_id: str
    grid_x: int
    grid_y: int
    time_zone: str
    forecast_hourly: str  # the URL the API names; we build the path from the grid ids

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form, for the watermark cache."""
        return asdict(self)

    @property
    def forecast_hourly_path(self) -> str:
        """API path of the hourly forecast of this grid cell."""
        return f"/gridpoints/{self.grid_id}/{self.grid_x},{self.grid_y}/forecast/hourly"


def load_json(body: bytes | str | dict, name: str) -> dict[str, Any]:
    """The JSON object of an NWS answer; ParseError when it is not one."""
    if isinstance(body, dict):
        return body
    try:
        doc = json.loads(body)
    except ValueError as exc:
        raise ParseError(name, f"not JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise ParseError(name, f"expected a JSON object, got {type(doc).__name__}")
    return doc


def properties(doc: dict[str, Any], name: str) -> dict[str, Any]:
    """`doc["properties"]`, or ParseError."""
    props = doc.get("properties")
    if not isinstance(props, dict):
        raise ParseError(name, "no 'properties' object (not a GeoJSON Feature of the NWS API)")
    return props


def parse_points(body: bytes | str | dict, name: str = "/points") -> GridPoint:
    """Parse a points answer; ParseError names the missing or malformed field."""
    props = properties(load_json(body, name), name)
    missing = [k for k in ("gridId", "gridX", "gridY", "timeZone", "forecastHourly") if props.get(k) in (None, "")]
    if missing:
        raise ParseError(name, f"properties lack {missing} (a point outside the NWS forecast area?)")
    try:
        x, y = int(props["gridX"]), int(props["gridY"])
    except (TypeError, ValueError):
        raise ParseError(name, f"gridX/gridY {props['gridX']!r},{props['gridY']!r} are not integers") from None
    return GridPoint(str(props["gridId"]), x, y, str(props["timeZone"]), str(props["forecastHourly"]))
