"""HTTP client of the NWS API (api.weather.gov) for weather: points, hourly grid forecast, station observations.

Every request sends the configured User-Agent (the API answers 403 without one) and
``Accept: application/geo+json``; 429 and 5xx (and connection errors) are retried per
`RetryPolicy`, honouring ``Retry-After``; a failure raises a one-line `HttpError` (an answer) or
`SourceUnreachable` (no answer: refused, DNS, TLS, timeout) naming the endpoint.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from gridflow.clients.http_retry import HttpError, RetryPolicy, http_errors, send_with_retry
from gridflow.clients.nws import DEFAULT_BASE_URL, GEOJSON, SERVICE, _detail
from gridflow.errors import ConfigError

__all__ = ["DEFAULT_BASE_URL", "Fetched", "HttpError", "NwsWeatherClient", "points_path"]


@dataclass(frozen=True)
class Fetched:
    """One answer: the URL asked, its body and when it arrived (UTC)."""

    url: str
    body: bytes
    fetched_at_utc: datetime


def points_path(latitude: float, longitude: float) -> str:
    """`/points/{lat},{lon}` with at most 4 decimals (the API redirects longer coordinates)."""
    def fmt(value: float) -> str:
        return f"{value:.4f}".rstrip("0").rstrip(".")
    return f"/points/{fmt(latitude)},{fmt(longitude)}"


class NwsWeatherClient:
    """Reads points, hourly forecasts and observations; use as a context manager or call `close()`."""

    def __init__(self, base_url: str | None = None, *, user_agent: str, timeout: float = 30.0,
                 retry: RetryPolicy | None = None, sleep: Callable[[float], None] = time.sleep) -> None:
        if not user_agent or not user_agent.strip():
            raise ConfigError("api.weather.gov requires a User-Agent naming the application and a contact: "
                              "set GRIDFLOW_WEATHER__USER_AGENT, e.g. 'gridflow (ops@utility.example)'")
        self.base_url = (base_url or DEFAULT_BASE_URL).rstrip("/")
        self.retry = retry or RetryPolicy()
        self._sleep = sleep  # injected so tests record waits instead of sleeping
        self.waits: list[float] = []
        self._http = httpx.Client(base_url=self.base_url, timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
                                  headers={"User-Agent": user_agent.strip(), "Accept": GEOJSON},
                                  follow_redirects=True)

    def __repr__(self) -> str:
        return f"NwsWeatherClient(base_url={self.base_url!r})"

    def __enter__(self) -> NwsWeatherClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def points(self, latitude: float, longitude: float) -> Fetched:
        """`/points/{lat},{lon}`: the forecast grid cell of a location."""
        return self._get(points_path(latitude, longitude))

    def forecast_hourly(self, grid_id: str, grid_x: int, grid_y: int) -> Fetched:
        """`/gridpoints/{id}/{x},{y}/forecast/hourly`: about 156 hourly periods of the current vintage."""
        return self._get(f"/gridpoints/{grid_id}/{grid_x},{grid_y}/forecast/hourly")

    def observations(self, station: str, start_utc: datetime) -> Fetched:
        """`/stations/{id}/observations?start=...`: the station's observations since `start_utc`."""
        start = start_utc.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
        return self._get(f"/stations/{station}/observations", {"start": start})

    def _get(self, path: str, params: dict[str, str] | None = None) -> Fetched:
        url = str(self._http.build_request("GET", path, params=params).url)
        response = send_with_retry(lambda: self._http.get(path, params=params), self.retry, self._wait,
                                   error=http_errors("api.weather.gov", url, detail=_detail, hint=_hint),
                                   service=SERVICE)
        return Fetched(url, response.content, datetime.now(UTC))

    def _wait(self, seconds: float) -> None:
        self.waits.append(seconds)
        self._sleep(seconds)


def _hint(status: int) -> str:
    if status == 403:
        return " - api.weather.gov refuses requests without a proper User-Agent: check GRIDFLOW_WEATHER__USER_AGENT"
    if status == 404:
        return " - unknown point, grid or station: check GRIDFLOW_WEATHER__SITES and GRIDFLOW_WEATHER__NWS_BASE_URL"
    return ""
