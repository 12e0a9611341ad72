"""HTTP client of the National Weather Service API (api.weather.gov): active alerts.

``GET /alerts/active?area=TX`` with ``Accept: application/geo+json`` and the User-Agent the API
requires (it answers 403 without one; NWS asks for an application name and a contact). Requests
are conditional: the previous answer's ``ETag`` / ``Last-Modified`` go back as ``If-None-Match`` /
``If-Modified-Since``, and 304 comes back as "not modified" without a body. 429 and 5xx are
retried a bounded number of times, honouring ``Retry-After``; every other 4xx fails at once
naming status, URL and the API's own ``detail``. Connection errors are retried the same way and
then raise `SourceUnreachable` naming the endpoint, which the task layer still retries as transient.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from gridflow.clients.http_retry import RetryPolicy, http_errors, send_with_retry
from gridflow.errors import ConfigError

DEFAULT_BASE_URL = "https://api.weather.gov"
ACTIVE_ALERTS_PATH = "/alerts/active"
GEOJSON = "application/geo+json"
SERVICE = "NWS API"


@dataclass(frozen=True)
class Validators:
    """What makes the next request conditional: the last 200's ETag and Last-Modified."""

    etag: str | None = None
    last_modified: str | None = None

    def headers(self) -> dict[str, str]:
        """``If-None-Match`` / ``If-Modified-Since`` for the validators we have."""
        headers = {}
        if self.etag:
            headers["If-None-Match"] = self.etag
        if self.last_modified:
            headers["If-Modified-Since"] = self.last_modified
        return headers

    def as_dict(self) -> dict[str, str | None]:
        """JSON-ready form, for the warehouse."""
        return {"etag": self.etag, "last_modified": self.last_modified}


@dataclass(frozen=True)
class AlertsResponse:
    """One answer: the body (None when not modified) and the validators to send next time."""

    url: str
    not_modified: bool
    body: bytes | None
    validators: Validators
    fetched_at_utc: datetime


class NwsClient:
    """Reads active alerts from api.weather.gov; use as a context manager or call `close()`."""

    def __init__(self, base_url: str | None = None, *, user_agent: str, timeout: float | httpx.Timeout = 30.0,
                 retry: RetryPolicy | None = None, sleep: Callable[[float], None] = time.sleep,
                 transport: httpx.BaseTransport | None = None) -> None:
        if not user_agent or not user_agent.strip():
            raise ConfigError("api.weather.gov requires a User-Agent naming the application and a contact: "
                              "set GRIDFLOW_STORM__USER_AGENT, e.g. 'gridflow (ops@utility.example)'")
        self.base_url = (base_url or DEFAULT_BASE_URL).rstrip("/")
        self.retry = retry or RetryPolicy()
        # Injected so tests can record the waits instead of sleeping through them.
        self._sleep = sleep
        self.waits: list[float] = []
        timeout = timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout, connect=min(timeout, 10.0))
        self._http = httpx.Client(base_url=self.base_url, timeout=timeout, transport=transport,
                                  headers={"User-Agent": user_agent.strip(), "Accept": GEOJSON},
                                  follow_redirects=True)

    def __repr__(self) -> str:
        return f"NwsClient(base_url={self.base_url!r})"

    def __enter__(self) -> NwsClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def active_alerts(self, areas: Sequence[str], validators: Validators | None = None) -> AlertsResponse:
        """Active alerts for the states/marine areas in `areas`, conditional on `validators`.

        On 304 the answer has no body and keeps the old validators (updated by any the server
        sent again).
        """
        codes = sorted({a.strip().upper() for a in areas if a and a.strip()})
        if not codes:
            raise ConfigError("no NWS area to poll: set GRIDFLOW_STORM__AREAS, e.g. '[\"TX\"]'")
        validators = validators or Validators()
        response = self._get(ACTIVE_ALERTS_PATH, {"area": ",".join(codes)}, validators.headers())
        fetched = datetime.now(UTC)
        fresh = Validators(response.headers.get("ETag"), response.headers.get("Last-Modified"))
        if response.status_code == 304:
            kept = Validators(fresh.etag or validators.etag, fresh.last_modified or validators.last_modified)
            return AlertsResponse(str(response.url), True, None, kept, fetched)
        return AlertsResponse(str(response.url), False, response.content, fresh, fetched)

    # -- transport -----------------------------------------------------------------------------

    def _get(self, path: str, params: dict[str, str], headers: dict[str, str]) -> httpx.Response:
        url = str(self._http.build_request("GET", path, params=params).url)
        return send_with_retry(lambda: self._http.get(path, params=params, headers=headers), self.retry, self._wait,
                               error=http_errors("api.weather.gov", url, detail=_detail, hint=_hint),
                               service=SERVICE)

    def _wait(self, seconds: float) -> None:
        self.waits.append(seconds)
        self._sleep(seconds)


def _detail(response: httpx.Response) -> str:
    # The API answers errors as application/problem+json; its `detail` says what was wrong.
    try:
        problem = json.loads(response.content)
    except ValueError:
        return ""
    if not isinstance(problem, dict):
        return ""
    parts = [str(problem[k]) for k in ("title", "detail") if problem.get(k)]
    for error in problem.get("parameterErrors") or []:
        if isinstance(error, dict):
            parts.append(f"{error.get('parameter')}: {error.get('message')}")
    return f" ({'; '.join(parts)[:300]})" if parts else ""


def _hint(status: int) -> str:
    if status == 403:
        return " - api.weather.gov refuses requests without a proper User-Agent: check GRIDFLOW_STORM__USER_AGENT"
    if status == 404:
        return " - check GRIDFLOW_STORM__NWS_BASE_URL"
    if status == 400:
        return " - check GRIDFLOW_STORM__AREAS (two-letter state or marine area codes)"
    return ""
