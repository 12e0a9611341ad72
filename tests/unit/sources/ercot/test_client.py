"""The MIS client against a real local HTTP server: listings, fallback, retries, clear failures."""

from __future__ import annotations

import httpx
import pytest

from gridflow.clients.ercot_mis import (
    DOWNLOAD_PATH,
    JSON_LISTING_PATH,
    USER_AGENT,
    ErcotDownloadTooLarge,
    ErcotMISClient,
)
from gridflow.clients.http_retry import HttpError, RetryPolicy, parse_retry_after
from gridflow.errors import SourceUnreachable
from gridflow.replay import ReplayServer, Reply
from gridflow.replay.ercot_mis import serve_html_listing
from tests.unit.sources.ercot.golden_io import FIXTURES

JSON = (FIXTURES / "IceDocListJsonWS_12331_documented_structure.json").read_bytes()
HTML = (FIXTURES / "ercot_mis_GetReports.do_listing_12331_DAM_SPP_excerpt.html").read_bytes()
ZIP = (FIXTURES / "ercot_np6-345-cd_actual_system_load_by_weather_zone_download.zip").read_bytes()
FAST = RetryPolicy(max_attempts=4, backoff_seconds=0.01, max_delay_seconds=0.05)


@pytest.fixture(scope="module")
def shared_server():
    with ReplayServer() as s:
        yield s


@pytest.fixture
def server(shared_server):
    # One server per module: stopping one costs 0.5 s (serve_forever's poll interval).
    # Routes and the request log are reset so every test starts from an empty server.
    shared_server._routes.clear()
    shared_server.requests.clear()
    return shared_server


def client_for(server, **kwargs) -> ErcotMISClient:
    kwargs.setdefault("retry", FAST)
    kwargs.setdefault("timeout", 5.0)
    # No real sleeping: `client.waits` records each wait so tests can assert Retry-After was honoured.
    return ErcotMISClient(server.base_url, sleep=lambda seconds: None, **kwargs)


def test_json_listing_and_request_shape(server):
    server.add(JSON_LISTING_PATH, Reply(200, JSON), query={"reportTypeId": "12331"})
    with client_for(server) as client:
        docs = client.list_documents(12331)
    assert [d.doc_id for d in docs] == ["1266957722", "1266957719", "1266561949", "1266561946"]
    request = server.requests[0]
    assert request.query == {"reportTypeId": "12331"} and request.headers["User-Agent"] == USER_AGENT


@pytest.mark.parametrize("json_reply", [Reply(404, "not here"), Reply(200, HTML, {"Content-Type": "text/html"})])
def test_falls_back_to_the_html_listing(server, json_reply):
    server.add(JSON_LISTING_PATH, json_reply)
    serve_html_listing(server, 12331, HTML)
    with client_for(server) as client:
        docs = client.list_documents(12331)
    assert len(docs) == 6 and docs[0].doc_id == "1266957722"
    assert [r.path for r in server.requests] == [JSON_LISTING_PATH, "/misapp/GetReports.do"]


def test_long_listing_is_read_whole(server):
    import json

    # MIS listings are not paged (one table / one JSON list over a ~31-day window): a full
    # month of csv+xml publications must come back complete from one request.
    entries = [{"Document": {"DocID": str(1000 + i),
                             "ConstructedName": f"cdr.00012331.0000000000000000.202608{1 + i // 2:02d}.1241464{i % 2}0"
                                                f".DAMSPNP4190_{'csv' if i % 2 == 0 else 'xml'}.zip",
                             "FriendlyName": f"DAMSPNP4190_{'csv' if i % 2 == 0 else 'xml'}",
                             "PublishDate": f"2026-08-{1 + i // 2:02d}T12:41:46-05:00", "ReportTypeID": "12331"}}
               for i in range(62)]
    server.add(JSON_LISTING_PATH, Reply(200, json.dumps({"ListDocsByRptTypeRes": {"DocumentList": entries}})))
    with client_for(server) as client:
        docs = client.list_documents(12331)
    assert len(docs) == 62 and sum(d.is_csv for d in docs) == 31


def test_429_with_retry_after_then_200(server):
    server.add(DOWNLOAD_PATH, Reply(429, "slow down", {"Retry-After": "7"}), Reply(200, ZIP))
    with client_for(server) as client:
        assert client.download("42") == ZIP
        assert client.waits == [7.0]  # the server's Retry-After, not our backoff
    assert [r.query for r in server.requests] == [{"doclookupId": "42"}] * 2


def test_500_then_200_uses_exponential_backoff(server):
    server.add(DOWNLOAD_PATH, Reply(500, "boom"), Reply(503, "busy"), Reply(200, ZIP))
    with client_for(server) as client:
        assert client.download("42") == ZIP
        assert client.waits == [0.01, 0.02]


def test_500_forever_gives_up_after_bounded_attempts(server):
    server.add(DOWNLOAD_PATH, Reply(500, "boom"))
    with client_for(server) as client, pytest.raises(HttpError) as info:
        client.download("42")
    assert info.value.status == 500 and info.value.attempts == 4
    assert "HTTP 500 for GET http://127.0.0.1" in str(info.value) and "doclookupId=42" in str(info.value)
    assert "on all 4 attempts" in str(info.value)
    assert len(server.requests) == 4


def test_excessive_retry_after_fails_instead_of_blocking(server):
    server.add(DOWNLOAD_PATH, Reply(429, "", {"Retry-After": "3600"}))
    with client_for(server, retry=RetryPolicy(max_retry_after_seconds=60)) as client, \
            pytest.raises(HttpError, match="after 3600 s"):
        client.download("42")


@pytest.mark.parametrize(("status", "hint"), [(401, "need no credentials"), (403, "need no credentials"),
                                              (404, "listing window"), (400, "not retried")])
def test_other_4xx_fail_at_once_naming_status_and_url(server, status, hint):
    server.add(DOWNLOAD_PATH, Reply(status, "nope"))
    with client_for(server) as client, pytest.raises(HttpError) as info:
        client.download("42")
    message = str(info.value)
    assert f"HTTP {status}" in message and f"{server.base_url}{DOWNLOAD_PATH}?doclookupId=42" in message
    assert hint in message
    assert len(server.requests) == 1 and info.value.status == status


def test_download_cap(server):
    server.add(DOWNLOAD_PATH, Reply(200, b"x" * 5000))
    with client_for(server, max_download_bytes=1000) as client, pytest.raises(ErcotDownloadTooLarge, match="cap of 1000"):
        client.download("42")


def test_connection_errors_are_retried_then_raise_source_unreachable():
    waits: list[float] = []
    with ErcotMISClient("http://127.0.0.1:9", retry=FAST, sleep=waits.append, timeout=2.0) as client, \
            pytest.raises(SourceUnreachable) as info:
        client.download("42")
    assert len(waits) == FAST.max_attempts - 1
    assert str(info.value) == ("ERCOT MIS unreachable at http://127.0.0.1:9/misdownload/servlets/mirDownload: "
                               "connection refused (nothing listens on that port)")
    assert info.value.attempts == FAST.max_attempts


def test_timeouts_are_transient_too(server):
    # The first answer comes far too late for the client's timeout; the second at once. The timeout
    # is generous (a loaded machine must not time out the prompt answer too), the delay far beyond it.
    server.add(DOWNLOAD_PATH, Reply(200, ZIP, delay=30), Reply(200, ZIP))
    with client_for(server, timeout=httpx.Timeout(3.0)) as client:
        assert client.download("42") == ZIP
        assert len(client.waits) == 1


def test_parse_retry_after_forms():
    from datetime import UTC, datetime
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert parse_retry_after("12") == 12.0
    assert parse_retry_after("Thu, 01 Jan 2026 00:00:30 GMT", now) == 30.0
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None
