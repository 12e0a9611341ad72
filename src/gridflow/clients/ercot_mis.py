"""HTTP client of ERCOT's Market Information System (MIS): document listings and downloads.

No authentication is needed for public MIS reports. Endpoints (docs/data-formats.md §1.1):
``/misapp/servlets/IceDocListJsonWS?reportTypeId=<id>`` (JSON list), ``/misapp/GetReports.do?
reportTypeId=<id>`` (older HTML list, the fallback) and ``/misdownload/servlets/mirDownload?
doclookupId=<DocID>``. 429 and 5xx answers are retried a bounded number of times with exponential
backoff that honours ``Retry-After``; every other 4xx fails at once, naming status and URL.
Connection errors are retried the same way and then raise `SourceUnreachable` naming the endpoint,
which the task layer still retries as transient.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from importlib import metadata

import httpx

from gridflow.clients.http_retry import HttpError, RetryPolicy, http_errors, send_with_retry
from gridflow.errors import ParseError
from gridflow.sources.ercot.listing import Document, parse_html_listing, parse_json_listing

DEFAULT_BASE_URL = "https://www.ercot.com"
JSON_LISTING_PATH = "/misapp/servlets/IceDocListJsonWS"
HTML_LISTING_PATH = "/misapp/GetReports.do"
DOWNLOAD_PATH = "/misdownload/servlets/mirDownload"
SERVICE = "ERCOT MIS"


def _version() -> str:
    try:
        return metadata.version("gridflow")
    except metadata.PackageNotFoundError:
        return "dev"


USER_AGENT = f"gridflow/{_version()} (ERCOT MIS report ingestion; python-httpx)"


class ErcotDownloadTooLarge(HttpError):
    """The download exceeded the byte cap before it finished."""


class ErcotMISClient:
    """Lists and downloads ERCOT MIS documents; use as a context manager or call `close()`."""

    def __init__(self, base_url: str | None = None, *, timeout: float | httpx.Timeout = 30.0,
                 retry: RetryPolicy | None = None, max_download_bytes: int = 50 * 1024 * 1024,
                 sleep: Callable[[float], None] = time.sleep, transport: httpx.BaseTransport | None = None) -> None:
        self.base_url = (base_url or DEFAULT_BASE_URL).rstrip("/")
        self.retry = retry or RetryPolicy()
        self.max_download_bytes = max_download_bytes
        # Injected so tests can record the waits instead of sleeping through them.
        self._sleep = sleep
        self.waits: list[float] = []
        timeout = timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout, connect=min(timeout, 10.0))
        self._http = httpx.Client(base_url=self.base_url, timeout=timeout, transport=transport,
                                  headers={"User-Agent": USER_AGENT}, follow_redirects=True)

    def __repr__(self) -> str:
        return f"ErcotMISClient(base_url={self.base_url!r})"

    def __enter__(self) -> ErcotMISClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    # -- public API ----------------------------------------------------------------------------

    def list_documents(self, report_type_id: int) -> list[Document]:
        """Every document the listing shows for the report (csv and xml), from the JSON list or the HTML page.

        The HTML page is used when the JSON endpoint is missing (404) or answers something that
        is not a document list (ERCOT has served HTML with status 200).
        """
        params = {"reportTypeId": str(report_type_id)}
        try:
            response = self._get(JSON_LISTING_PATH, params)
            return parse_json_listing(response.content, str(response.url))
        except HttpError as exc:
            if exc.status != 404:
                raise
        except ParseError:
            pass
        response = self._get(HTML_LISTING_PATH, params)
        return parse_html_listing(response.content, str(response.url))

    def download(self, doc_id: str) -> bytes:
        """The raw body of one document (normally a ZIP), at most `max_download_bytes` long."""
        return self._get(DOWNLOAD_PATH, {"doclookupId": str(doc_id)}, cap=self.max_download_bytes).content

    def download_url(self, doc_id: str) -> str:
        """The URL `download` fetches, for ledgers and error messages."""
        return f"{self.base_url}{DOWNLOAD_PATH}?doclookupId={doc_id}"

    # -- transport -----------------------------------------------------------------------------

    def _get(self, path: str, params: dict[str, str], cap: int | None = None) -> httpx.Response:
        url = str(self._http.build_request("GET", path, params=params).url)
        return send_with_retry(lambda: self._fetch(path, params, cap, url), self.retry, self._wait,
                               error=http_errors("ERCOT", url, hint=_hint), service=SERVICE)

    def _fetch(self, path: str, params: dict[str, str], cap: int | None, url: str) -> httpx.Response:
        with self._http.stream("GET", path, params=params) as response:
            if response.status_code >= 400 or cap is None:
                response.read()
                return response
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > cap:
                raise ErcotDownloadTooLarge(f"GET {url}: {declared} bytes announced, above the cap of {cap}",
                                            status=response.status_code, url=url)
            body = bytearray()
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > cap:
                    raise ErcotDownloadTooLarge(f"GET {url}: body exceeds the cap of {cap} bytes",
                                                status=response.status_code, url=url)
            return httpx.Response(response.status_code, headers=response.headers, content=bytes(body),
                                  request=response.request)

    def _wait(self, seconds: float) -> None:
        self.waits.append(seconds)
        self._sleep(seconds)


def _hint(status: int) -> str:
    if status in (401, 403):
        return " (public MIS reports need no credentials: check base_url and any proxy in between)"
    if status == 404:
        return " (the document may have left ERCOT's ~31-day listing window, or the id is wrong)"
    return ""
