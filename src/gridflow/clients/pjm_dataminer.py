"""Client of the PJM Data Miner 2 API (https://api.pjm.com/api/v1/<feed>); see docs/data-formats.md §2.

What it handles, so callers do not have to:

* the subscription key, sent only as the ``Ocp-Apim-Subscription-Key`` header: it never appears in
  a URL, a log line, an exception message or ``repr(client)``;
* long ranges split into chunks (under 366 days; inside one calendar year for the archived LMP
  feeds), each read page by page with ``startRow``/``rowCount``;
* its own rate limiter (default 6 requests per minute, the non-member budget);
* retries of 429 and 5xx with exponential backoff that honours ``Retry-After``
  (`gridflow.clients.http_retry`); 400/401/403/404 are never retried and raise an error naming the
  status, the feed and the API's message;
* a connection that fails (refused, DNS, TLS, timeout) raises `SourceUnreachable` naming the
  endpoint (no query, no key) at once: the task layer retries it as transient.

Times given to `fetch` are naive Eastern Prevailing Time wall clocks, as the API's
``datetime_beginning_ept`` filter expects; ranges are half-open ``[start, end)``.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx

from gridflow.clients.http_retry import Failure, HttpError, Outcome, RetryPolicy, send_with_retry
from gridflow.clients.rate_limit import RateLimiter

DEFAULT_BASE_URL = "https://api.pjm.com/api/v1"
# PJM answers 429 under load for minutes at a time: wait longer than for ERCOT before giving up.
PJM_RETRY = RetryPolicy(backoff_seconds=2.0, max_delay_seconds=120.0, max_retry_after_seconds=900.0)
KEY_HEADER = "Ocp-Apim-Subscription-Key"
MAX_ROW_COUNT = 50_000
# The API rejects ranges of 366 days or more.
MAX_CHUNK_DAYS = 365
# Archived feeds need a datetime filter inside one calendar year.
ARCHIVED_FEEDS = frozenset({"da_hrl_lmps", "rt_hrl_lmps", "rt_fivemin_hrl_lmps"})
# Every 5xx may pass, not only the usual gateway ones: PJM's front door answers a variety of them.
RETRYABLE_STATUSES = frozenset({429, *range(500, 600)})
DEFAULT_REQUESTS_PER_MINUTE = 6.0
SERVICE = "PJM Data Miner API"

_log = logging.getLogger("gridflow.clients.pjm")
_FILTER_FORMAT = "%m/%d/%Y %H:%M"

OnPage = Callable[[int, int], None]


# ------------------------------------------------------------------------------------------------
# Errors
# ------------------------------------------------------------------------------------------------


class PJMApiError(HttpError):
    """The PJM API refused or failed a request; adds the `feed` and the API's own messages."""

    def __init__(self, message: str, *, feed: str, url: str, status: int | None = None,
                 api_messages: Sequence[str] = (), attempts: int = 1) -> None:
        self.feed = feed
        self.api_messages = list(api_messages)
        super().__init__(message, status=status, url=url, attempts=attempts)


class PJMAuthError(PJMApiError):
    """401/403: the subscription key is missing, wrong or not allowed to read the feed."""


class PJMRequestError(PJMApiError):
    """400/404 (or another 4xx): bad parameters or an unknown feed; retrying cannot help."""


class PJMUnavailableError(PJMApiError):
    """429 or 5xx still failing after the bounded retries."""


class PJMPayloadError(PJMApiError):
    """The answer is not the documented JSON envelope (non-JSON, missing items, empty page)."""


# ------------------------------------------------------------------------------------------------
# Values
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Chunk:
    """One request range ``[start_ept, end_ept)`` (naive EPT wall clock), `index` of `count`."""

    start_ept: datetime
    end_ept: datetime
    index: int = 1
    count: int = 1

    def filter_value(self) -> str:
        """The API's inclusive range syntax ``MM/DD/YYYY HH:mmtoMM/DD/YYYY HH:mm``."""
        last = self.end_ept - timedelta(minutes=1)  # the API's end is inclusive, to the minute
        return f"{self.start_ept.strftime(_FILTER_FORMAT)}to{last.strftime(_FILTER_FORMAT)}"


@dataclass(frozen=True)
class Page:
    """One page of one chunk: its items and where it sits in the paging."""

    feed: str
    chunk: Chunk
    number: int  # 1-based within the chunk
    page_count: int  # ceil(total_rows / row_count), at least 1
    start_row: int
    total_rows: int
    items: list[dict[str, Any]]
    last: bool  # no further page of this chunk will be requested


def split_range(start_ept: datetime, end_ept: datetime, max_days: int = MAX_CHUNK_DAYS,
                calendar_year: bool = False) -> list[Chunk]:
    """Split ``[start, end)`` into chunks of at most `max_days` (< 366), optionally cut at 1 January."""
    if not 1 <= max_days <= MAX_CHUNK_DAYS:
        raise ValueError(f"max_days must be between 1 and {MAX_CHUNK_DAYS}, got {max_days}")
    if end_ept <= start_ept:
        raise ValueError(f"empty range: end {end_ept} is not after start {start_ept}")
    bounds: list[tuple[datetime, datetime]] = []
    cursor = start_ept
    while cursor < end_ept:
        stop = min(cursor + timedelta(days=max_days), end_ept)
        if calendar_year:
            stop = min(stop, datetime(cursor.year + 1, 1, 1, tzinfo=cursor.tzinfo))
        bounds.append((cursor, stop))
        cursor = stop
    return [Chunk(a, b, i, len(bounds)) for i, (a, b) in enumerate(bounds, start=1)]


# ------------------------------------------------------------------------------------------------
# Client
# ------------------------------------------------------------------------------------------------


@dataclass
class _Progress:
    done: int = 0
    known: dict[int, int] = field(default_factory=dict)  # chunk index -> page count


class PJMDataMinerClient:
    """Reads Data Miner 2 feeds page by page; use as a context manager or call `close()`."""

    def __init__(
        self,
        api_key: str,
        base_url: str = DEFAULT_BASE_URL,
        *,
        row_count: int = MAX_ROW_COUNT,
        chunk_days: int = MAX_CHUNK_DAYS,
        requests_per_minute: float | None = DEFAULT_REQUESTS_PER_MINUTE,
        retry: RetryPolicy | None = None,
        timeout_seconds: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        before_request: Callable[[], None] | None = None,
        limiter: RateLimiter | None = None,
    ) -> None:
        if not api_key:
            raise ValueError("a PJM API subscription key is required")
        if not 1 <= row_count <= MAX_ROW_COUNT:
            raise ValueError(f"row_count must be between 1 and {MAX_ROW_COUNT}, got {row_count}")
        self._key = api_key
        self.base_url = base_url.rstrip("/")
        self.row_count = row_count
        self.chunk_days = chunk_days
        self.retry = retry or PJM_RETRY
        self.limiter = limiter or RateLimiter(requests_per_minute, clock=clock, sleep=sleep)
        self._sleep = sleep
        # Hook for an outside limiter (a Prefect global rate limit) on top of our own.
        self._before_request = before_request
        self.requests_sent = 0
        self._http = httpx.Client(
            timeout=httpx.Timeout(timeout_seconds, connect=min(timeout_seconds, 10.0)),
            headers={KEY_HEADER: api_key, "Accept": "application/json"},
            follow_redirects=False,
        )

    def __repr__(self) -> str:
        return f"PJMDataMinerClient(base_url={self.base_url!r}, key=***)"

    def __enter__(self) -> PJMDataMinerClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._http.close()

    def chunks(self, feed: str, start_ept: datetime, end_ept: datetime) -> list[Chunk]:
        """The request ranges `fetch` would use for ``[start_ept, end_ept)``."""
        return split_range(start_ept, end_ept, self.chunk_days, calendar_year=feed in ARCHIVED_FEEDS)

    def fetch(
        self,
        feed: str,
        start_ept: datetime,
        end_ept: datetime,
        filters: Mapping[str, str | Sequence[str]] | None = None,
        *,
        datetime_field: str = "datetime_beginning_ept",
        on_page: OnPage | None = None,
    ) -> Iterator[Page]:
        """Every page of `feed` over ``[start_ept, end_ept)`` (naive EPT), chunk after chunk.

        `on_page(done, total)` is called after each page with pages read so far and the pages
        expected so far (chunks not yet opened count as one page each, so `total` may grow).
        """
        chunks = self.chunks(feed, start_ept, end_ept)
        progress = _Progress()
        for chunk in chunks:
            for page in self.fetch_chunk(feed, chunk, filters, datetime_field=datetime_field):
                progress.done += 1
                progress.known[chunk.index] = page.page_count
                if on_page is not None:
                    total = sum(progress.known.values()) + (len(chunks) - len(progress.known))
                    on_page(progress.done, max(total, progress.done))
                yield page

    def fetch_chunk(
        self,
        feed: str,
        chunk: Chunk,
        filters: Mapping[str, str | Sequence[str]] | None = None,
        *,
        datetime_field: str = "datetime_beginning_ept",
    ) -> Iterator[Page]:
        """The pages of one chunk, following ``startRow`` until ``totalRows`` or no ``next`` link."""
        if feed in ARCHIVED_FEEDS and (chunk.end_ept - timedelta(minutes=1)).year != chunk.start_ept.year:
            raise ValueError(f"{feed} is archived: a request range must stay inside one calendar year")
        params: dict[str, str] = {
            "sort": "datetime_beginning_utc",
            "order": "Asc",
            datetime_field: chunk.filter_value(),
        }
        for name, value in (filters or {}).items():
            params[name] = value if isinstance(value, str) else ";".join(str(v) for v in value)
        url = f"{self.base_url}/{feed}"
        start_row, number = 1, 0
        while True:
            params.update(startRow=str(start_row), rowCount=str(self.row_count))
            payload = self._get_json(feed, url, params)
            items, total = _envelope(payload, feed, url)
            number += 1
            page_count = max(1, math.ceil(total / self.row_count))
            if not items and start_row <= total:
                raise PJMPayloadError(
                    f"PJM API returned an empty page for {feed!r} at startRow {start_row} although "
                    f"totalRows is {total} (range {chunk.filter_value()}); refusing to loop",
                    feed=feed, url=url,
                )
            next_row = start_row + len(items)
            last = next_row > total or not _has_next(payload)
            yield Page(feed, chunk, number, page_count, start_row, total, items, last)
            if last:
                return
            start_row = next_row

    # -- HTTP -----------------------------------------------------------------------------------

    def _get_json(self, feed: str, url: str, params: Mapping[str, str]) -> Any:
        attempt, status = 0, 0

        def send() -> httpx.Response:
            nonlocal attempt, status
            attempt += 1
            self.requests_sent += 1
            _log.debug("GET %s startRow=%s (attempt %d)", feed, params.get("startRow"), attempt)
            response = self._http.get(url, params=params)
            status = response.status_code
            return response

        def wait(delay: float) -> None:
            _log.warning("PJM API %s for %s; retrying in %.1f s (attempt %d of %d)",
                         status, feed, delay, attempt, self.retry.max_attempts)
            self._sleep(delay)

        # Transport errors are not retried here: the task layer retries them as transient.
        response = send_with_retry(send, self.retry, wait, error=lambda failure: self._error(feed, url, failure),
                                   before_attempt=self._before_attempt, retryable=RETRYABLE_STATUSES,
                                   retry_transport_errors=False, service=SERVICE)
        if response.status_code != 200:
            raise _client_error(response.status_code, feed, url, self._messages(response), attempt)
        try:
            return response.json()
        except ValueError:
            raise PJMPayloadError(
                f"PJM API answered {feed!r} with status 200 but the body is not JSON "
                f"(starts {self._scrub(response.text[:120])!r})",
                feed=feed, url=url, status=200, attempts=attempt,
            ) from None

    def _before_attempt(self) -> None:
        self.limiter.wait()
        if self._before_request is not None:
            self._before_request()

    def _error(self, feed: str, url: str, failure: Failure) -> PJMApiError:
        status, attempts = failure.response.status_code, failure.attempts
        messages = self._messages(failure.response)
        if failure.outcome is Outcome.REJECTED:
            return _client_error(status, feed, url, messages, attempts)
        if failure.outcome is Outcome.EXHAUSTED:
            text = f"PJM API still answered {status} for {feed!r} after {attempts} attempts"
        else:
            text = (f"PJM API asked to retry {feed!r} after {failure.retry_after:.0f} s ({status}), longer than "
                    f"the {failure.policy.max_retry_after_seconds:.0f} s allowed")
        return PJMUnavailableError(text + _tail(messages), feed=feed, url=url, status=status,
                                   api_messages=messages, attempts=attempts)

    def _messages(self, response: httpx.Response) -> list[str]:
        """The API's error messages (``errors[].message`` or APIM's ``message``), key scrubbed."""
        try:
            body = response.json()
        except ValueError:
            text = response.text.strip()
            return [self._scrub(text[:300])] if text else []
        found: list[str] = []
        if isinstance(body, dict):
            for error in body.get("errors") or []:
                if isinstance(error, dict) and error.get("message"):
                    where = f"{error['field']}: " if error.get("field") else ""
                    found.append(where + str(error["message"]))
            if not found and body.get("message"):
                found.append(str(body["message"]))
        return [self._scrub(m) for m in found]

    def _scrub(self, text: str) -> str:
        # Gateways sometimes echo the request; the key must not leak into our messages.
        return text.replace(self._key, "***")


def _client_error(status: int, feed: str, url: str, messages: list[str], attempts: int) -> PJMApiError:
    tail = _tail(messages)
    if status == 401:
        kind, text = PJMAuthError, f"PJM API rejected the subscription key (401) for feed {feed!r}"
    elif status == 403:
        kind, text = PJMAuthError, f"PJM API refused access to feed {feed!r} with this subscription key (403)"
    elif status == 404:
        kind, text = PJMRequestError, f"PJM API does not know feed {feed!r} (404)"
    elif status == 400:
        kind, text = PJMRequestError, f"PJM API rejected the request parameters for feed {feed!r} (400)"
    else:
        kind, text = PJMRequestError, f"PJM API answered {status} for feed {feed!r}"
    return kind(text + tail, feed=feed, url=url, status=status, api_messages=messages, attempts=attempts)


def _tail(messages: list[str]) -> str:
    return (": " + "; ".join(messages)) if messages else ""


def _envelope(payload: Any, feed: str, url: str) -> tuple[list[dict[str, Any]], int]:
    if not isinstance(payload, dict) or not isinstance(payload.get("items"), list):
        raise PJMPayloadError(f"PJM API answer for {feed!r} has no 'items' list", feed=feed, url=url)
    total = payload.get("totalRows")
    if not isinstance(total, int) or isinstance(total, bool) or total < 0:
        raise PJMPayloadError(f"PJM API answer for {feed!r} has no valid 'totalRows' ({total!r})",
                              feed=feed, url=url)
    return payload["items"], total


def _has_next(payload: dict[str, Any]) -> bool:
    return any(isinstance(link, dict) and link.get("rel") == "next" for link in payload.get("links") or [])
