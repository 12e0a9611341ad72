"""PJM Data Miner 2 client against a real local HTTP server (ReplayServer): paging, retries,
clear errors without the key, empty pages, rate limiting and chunking. Waits go to a fake clock."""

from __future__ import annotations

import itertools
import json
import logging
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest

from gridflow.clients.http_retry import HttpError, RetryPolicy, parse_retry_after
from gridflow.clients.pjm_dataminer import (
    KEY_HEADER,
    PJMAuthError,
    PJMDataMinerClient,
    PJMPayloadError,
    PJMRequestError,
    PJMUnavailableError,
    split_range,
)
from gridflow.errors import SourceUnreachable
from gridflow.replay import ReplayServer, Reply
from gridflow.replay.pjm_dataminer import FakeDataMiner, hourly_load_items
from gridflow.transient import is_transient

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "pjm_api"
KEY = "sk-test-0123456789abcdef"
FEED = "hrl_load_metered"
PATH = f"/api/v1/{FEED}"
DAY = (datetime(2023, 11, 5), datetime(2023, 11, 6))


class FakeClock:
    """Monotonic clock that only moves when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture(scope="module")
def replay():
    with ReplayServer() as srv:  # one server per module: its shutdown costs 0.5 s
        yield srv


@pytest.fixture
def server(replay):
    # Routes added later take precedence, so each test's own routes answer it.
    replay.requests.clear()
    return replay


@pytest.fixture
def clock():
    return FakeClock()


def client(server, clock, **options) -> PJMDataMinerClient:
    options.setdefault("requests_per_minute", None)
    options.setdefault("retry", RetryPolicy(max_attempts=3, backoff_seconds=0.5))
    return PJMDataMinerClient(KEY, f"{server.base_url}/api/v1", clock=clock, sleep=clock.sleep, **options)


def fixture_reply(name: str, status: int = 200) -> Reply:
    return Reply.file(FIXTURES / name, "application/json", status)


def test_pages_until_total_rows_over_three_pages(server, clock):
    items = hourly_load_items({"AE": {"AECO": 800.0}}, "2023-11-05T04:00:00", 7)
    fake = FakeDataMiner(FEED, items, KEY)
    server.add_handler(PATH, fake)
    progress = []
    with client(server, clock, row_count=3) as pjm:
        pages = list(pjm.fetch(FEED, *DAY, {"zone": ["AE", "DPL"]}, on_page=lambda d, t: progress.append((d, t))))
    assert [(p.number, p.page_count, p.start_row, len(p.items), p.last) for p in pages] == [
        (1, 3, 1, 3, False), (2, 3, 4, 3, False), (3, 3, 7, 1, True)]
    assert [i for p in pages for i in p.items] == items
    assert progress == [(1, 3), (2, 3), (3, 3)]
    sent = fake.requests
    assert [r.query["startRow"] for r in sent] == ["1", "4", "7"]
    assert {r.query["rowCount"] for r in sent} == {"3"}
    assert {r.query["datetime_beginning_ept"] for r in sent} == {"11/05/2023 00:00to11/05/2023 23:59"}
    assert {r.query["zone"] for r in sent} == {"AE;DPL"}
    # The key travels in the header only, never in the URL.
    assert all(r.headers[KEY_HEADER] == KEY for r in sent)
    assert all(KEY not in json.dumps(r.query) for r in sent)


def test_stops_when_the_next_link_is_absent(server, clock):
    # A real single-page answer (no `next` link) whose totalRows claims more than it carries.
    body = json.loads((FIXTURES / "hrl_load_metered_dpl_ae_2023-11-05.json").read_text())
    body["totalRows"] = 100
    server.add(PATH, Reply(200, json.dumps(body), {"Content-Type": "application/json"}))
    with client(server, clock, row_count=14) as pjm:
        pages = list(pjm.fetch(FEED, *DAY))
    assert len(pages) == 1 and pages[0].last and len(server.requests) == 1


def test_429_with_retry_after_is_honoured_then_succeeds(server, clock):
    server.add(PATH, Reply(429, '{"statusCode": 429, "message": "Rate limit is exceeded."}', {"Retry-After": "7"}),
               fixture_reply("hrl_load_metered_dpl_ae_2023-11-05.json"))
    with client(server, clock) as pjm:
        pages = list(pjm.fetch(FEED, *DAY))
    assert len(pages) == 1 and len(pages[0].items) == 14
    assert clock.sleeps == [7.0]  # the server's wait, not the 0.5 s backoff
    assert len(server.requests) == 2


def test_500_then_success_backs_off_exponentially(server, clock):
    server.add(PATH, Reply(500, "upstream error"), Reply(503, ""), fixture_reply("hrl_load_metered_dpl_ae_2023-11-05.json"))
    with client(server, clock) as pjm:
        pages = list(pjm.fetch(FEED, *DAY))
    assert len(pages[0].items) == 14
    assert clock.sleeps == [0.5, 1.0]


def test_persistent_5xx_gives_up_after_the_bounded_attempts(server, clock):
    server.add(PATH, Reply(502, "bad gateway"))
    with client(server, clock) as pjm, pytest.raises(PJMUnavailableError, match=r"still answered 502 for 'hrl_load_metered' after 3 attempts"):
        list(pjm.fetch(FEED, *DAY))
    assert len(server.requests) == 3


def test_retry_after_beyond_the_allowed_wait_fails_clearly(server, clock):
    server.add(PATH, Reply(429, "", {"Retry-After": "86400"}))
    with client(server, clock) as pjm, pytest.raises(PJMUnavailableError, match="after 86400 s"):
        list(pjm.fetch(FEED, *DAY))
    assert clock.sleeps == []


def test_401_bad_key_fails_at_once_without_the_key(server, clock, caplog):
    # The gateway echoing the key must not leak it into our message either.
    body = json.loads((FIXTURES / "error_401_bad_key.json").read_text())
    body["message"] += f" Key: {KEY}"
    server.add(PATH, Reply(401, json.dumps(body), {"Content-Type": "application/json"}))
    caplog.set_level(logging.DEBUG)
    with client(server, clock) as pjm, pytest.raises(PJMAuthError) as info:
        list(pjm.fetch(FEED, *DAY))
    message = str(info.value)
    assert message.startswith("PJM API rejected the subscription key (401) for feed 'hrl_load_metered'")
    assert "invalid subscription key" in message
    assert KEY not in message and KEY not in repr(pjm) and KEY not in caplog.text
    assert info.value.status == 401 and len(server.requests) == 1 and clock.sleeps == []
    # One error type for every client: the URL it carries holds no secret.
    assert isinstance(info.value, HttpError) and info.value.url == f"{server.base_url}{PATH}"


def test_400_bad_parameters_fail_at_once_with_the_api_message(server, clock):
    server.add(PATH, fixture_reply("error_400_bad_range.json", status=400))
    with client(server, clock) as pjm, pytest.raises(PJMRequestError) as info:
        list(pjm.fetch(FEED, *DAY))
    assert str(info.value) == ("PJM API rejected the request parameters for feed 'hrl_load_metered' (400): "
                               "datetime_beginning_ept: Invalid date range: ranges must be less than 366 days")
    assert len(server.requests) == 1


@pytest.mark.parametrize("status, kind, text", [(403, PJMAuthError, "(403)"), (404, PJMRequestError, "does not know feed")])
def test_403_and_404_are_not_retried(server, clock, status, kind, text):
    server.add(PATH, Reply(status, ""))
    with client(server, clock) as pjm, pytest.raises(kind, match=text.replace("(", r"\(").replace(")", r"\)")):
        list(pjm.fetch(FEED, *DAY))
    assert len(server.requests) == 1


def test_empty_page_with_rows_outstanding_is_an_error(server, clock):
    body = json.loads((FIXTURES / "hrl_load_metered_dpl_ae_2023-11-05.json").read_text())
    body.update(items=[], totalRows=5)
    body["links"].append({"rel": "next", "href": "https://api.pjm.com/api/v1/hrl_load_metered?startRow=1"})
    server.add(PATH, Reply(200, json.dumps(body)))
    with client(server, clock) as pjm, pytest.raises(PJMPayloadError, match=r"empty page .* totalRows is 5"):
        list(pjm.fetch(FEED, *DAY))
    assert len(server.requests) == 1


def test_no_rows_at_all_is_one_empty_page(server, clock):
    server.add_handler(PATH, FakeDataMiner(FEED, [], KEY))
    with client(server, clock) as pjm:
        pages = list(pjm.fetch(FEED, *DAY))
    assert [(len(p.items), p.total_rows, p.last) for p in pages] == [(0, 0, True)]


@pytest.mark.parametrize("body", ["<html>Service Unavailable</html>", '{"totalRows": 3}'])
def test_a_body_that_is_not_the_envelope_is_an_error(server, clock, body):
    server.add(PATH, Reply(200, body))
    with client(server, clock) as pjm, pytest.raises(PJMPayloadError):
        list(pjm.fetch(FEED, *DAY))


def test_rate_limiter_spaces_requests_on_the_injected_clock(server, clock):
    fake = FakeDataMiner(FEED, hourly_load_items({"AE": {"AECO": 800.0}}, "2023-11-05T04:00:00", 7), KEY)
    stamps = []
    server.add_handler(PATH, fake)
    with client(server, clock, row_count=3, requests_per_minute=6, before_request=lambda: stamps.append(clock.now)) as pjm:
        list(pjm.fetch(FEED, *DAY))
        list(pjm.fetch(FEED, *DAY))  # the limiter spans calls, not only one fetch
    assert stamps == [0.0, 10.0, 20.0, 30.0, 40.0, 50.0]
    assert clock.sleeps == [10.0] * 5


def test_connection_errors_are_left_to_the_task_layer(clock):
    with PJMDataMinerClient(KEY, "http://127.0.0.1:9/api/v1", requests_per_minute=None, sleep=clock.sleep,
                            retry=RetryPolicy(max_attempts=3)) as pjm, pytest.raises(SourceUnreachable) as info:
        list(pjm.fetch(FEED, *DAY))
    assert pjm.requests_sent == 1 and clock.sleeps == []
    # One line naming the endpoint, not the query (the date filter) nor the key; transient for the task layer.
    assert str(info.value) == ("PJM Data Miner API unreachable at http://127.0.0.1:9/api/v1/hrl_load_metered: "
                               "connection refused (nothing listens on that port)")
    assert is_transient(info.value)


def test_rate_limiter_does_not_wait_when_time_has_passed(server, clock):
    server.add_handler(PATH, FakeDataMiner(FEED, [], KEY))
    with client(server, clock, requests_per_minute=6) as pjm:
        list(pjm.fetch(FEED, *DAY))
        clock.now += 4.0
        list(pjm.fetch(FEED, *DAY))
    assert clock.sleeps == [6.0]


def test_two_year_range_is_chunked_under_366_days():
    start, end = datetime(2022, 3, 1), datetime(2024, 3, 1)
    chunks = split_range(start, end)
    assert chunks[0].start_ept == start and chunks[-1].end_ept == end
    assert all(a.end_ept == b.start_ept for a, b in itertools.pairwise(chunks))
    assert all(c.end_ept - c.start_ept < timedelta(days=366) for c in chunks)
    assert [(c.index, c.count) for c in chunks] == [(1, 3), (2, 3), (3, 3)]
    with pytest.raises(ValueError, match="between 1 and 365"):
        split_range(start, end, max_days=366)


def test_archived_feed_chunks_stay_inside_calendar_years(server, clock):
    fake = FakeDataMiner("da_hrl_lmps", [], KEY)
    server.add_handler("/api/v1/da_hrl_lmps", fake)
    with client(server, clock) as pjm:
        pages = list(pjm.fetch("da_hrl_lmps", datetime(2022, 3, 1), datetime(2024, 3, 1), {"pnode_id": ["1", "51291"]}))
    assert [r.query["datetime_beginning_ept"] for r in fake.requests] == [
        "03/01/2022 00:00to12/31/2022 23:59",
        "01/01/2023 00:00to12/31/2023 23:59",
        "01/01/2024 00:00to02/29/2024 23:59",
    ]
    assert [p.chunk.index for p in pages] == [1, 2, 3]
    assert {r.query["pnode_id"] for r in fake.requests} == {"1;51291"}


def test_retry_after_as_http_date():
    now = datetime(2024, 1, 1, 12, 0, tzinfo=UTC)
    assert parse_retry_after(format_datetime(now + timedelta(seconds=30), usegmt=True), now) == 30.0
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None
