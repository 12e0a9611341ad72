"""NWS client against a fake api.weather.gov on a real local HTTP server (ReplayServer): headers,
conditional requests, retries honouring Retry-After, and clear errors. Waits go to a list."""

from __future__ import annotations

import json

import httpx
import pytest

from gridflow.clients.http_retry import HttpError, RetryPolicy
from gridflow.clients.nws import NwsClient, Validators
from gridflow.errors import ConfigError, SourceUnreachable
from gridflow.replay import ReplayServer, Reply
from gridflow.replay.nws import SVR_ALERT_ID, SVR_UPDATE_ID, serve_nws, texas_storm_scenario
from gridflow.sources.nws_alerts import parse_alert_document
from gridflow.transient import is_transient
from tests.conftest import free_port

UA = "gridflow-test/1.0 (storm-response; ops@utility.example)"


@pytest.fixture(scope="module")
def replay():
    with ReplayServer() as srv:  # one server per module: its shutdown costs 0.5 s
        yield srv


@pytest.fixture
def nws(replay):
    # Handlers added later take precedence, so each test's own fake answers it.
    replay.requests.clear()
    return serve_nws(replay, texas_storm_scenario())


def client(replay, waits: list[float] | None = None, **options) -> NwsClient:
    options.setdefault("retry", RetryPolicy(max_attempts=3, backoff_seconds=0.5))
    return NwsClient(replay.base_url, user_agent=UA, sleep=(waits.append if waits is not None else lambda s: None),
                     **options)


def alert_ids(body: bytes) -> list[str]:
    return [a.alert_id for a in parse_alert_document(body).alerts]


def test_sends_user_agent_and_geojson_accept(replay, nws):
    with client(replay) as c:
        answer = c.active_alerts(["tx"])
    assert not answer.not_modified and SVR_ALERT_ID in alert_ids(answer.body)
    (request,) = nws.requests
    assert request.headers["User-Agent"] == UA
    assert request.headers["Accept"] == "application/geo+json"
    assert request.query == {"area": "TX"}
    assert "If-None-Match" not in request.headers
    assert answer.validators.etag and answer.validators.last_modified == "Tue, 12 May 2026 20:43:10 GMT"
    assert answer.url == f"{replay.base_url}/alerts/active?area=TX"


def test_the_fake_refuses_requests_without_user_agent_like_the_real_api(replay, nws):
    response = httpx.get(f"{replay.base_url}/alerts/active", params={"area": "TX"}, headers={"User-Agent": ""})
    assert response.status_code == 403
    assert response.json()["title"] == "Forbidden"


def test_client_refuses_to_start_without_user_agent(replay):
    with pytest.raises(ConfigError, match="requires a User-Agent"):
        NwsClient(replay.base_url, user_agent="  ")


def test_conditional_requests_304_until_the_list_changes(replay, nws):
    with client(replay) as c:
        first = c.active_alerts(["TX"])
        again = c.active_alerts(["TX"], first.validators)
        nws.advance()  # same alerts, list restamped: new ETag
        restamped = c.active_alerts(["TX"], again.validators)
        nws.advance()  # the Update
        updated = c.active_alerts(["TX"], restamped.validators)
    assert again.not_modified and again.body is None and again.validators == first.validators
    assert nws.requests[1].headers["If-None-Match"] == first.validators.etag
    assert nws.requests[1].headers["If-Modified-Since"] == first.validators.last_modified
    assert not restamped.not_modified and alert_ids(restamped.body) == alert_ids(first.body)
    assert restamped.validators.etag != first.validators.etag
    assert not updated.not_modified and SVR_UPDATE_ID in alert_ids(updated.body)


def test_if_modified_since_alone_also_gives_304(replay, nws):
    with client(replay) as c:
        first = c.active_alerts(["TX"])
        again = c.active_alerts(["TX"], Validators(last_modified=first.validators.last_modified))
    assert again.not_modified
    assert again.validators.etag == first.validators.etag  # the 304 carried it: kept for next time


def test_429_waits_as_told_by_retry_after(replay, nws):
    faults = iter([Reply(429, "slow down", {"Retry-After": "7"})])
    nws.fault = lambda request: next(faults, None)
    waits: list[float] = []
    with client(replay, waits) as c:
        answer = c.active_alerts(["TX"])
    assert waits == [7.0] and not answer.not_modified and len(nws.requests) == 2


def test_500_then_success_backs_off(replay, nws):
    faults = iter([Reply(500, "oops"), Reply(503, "busy")])
    nws.fault = lambda request: next(faults, None)
    waits: list[float] = []
    with client(replay, waits) as c:
        answer = c.active_alerts(["TX"])
    assert waits == [0.5, 1.0] and SVR_ALERT_ID in alert_ids(answer.body)


def test_persistent_500_gives_up_naming_status_and_attempts(replay, nws):
    nws.fault = lambda request: Reply(502, "bad gateway")
    with client(replay) as c, pytest.raises(HttpError, match=r"HTTP 502 for GET .*area=TX on all 3 attempts") as exc:
        c.active_alerts(["TX"])
    assert (exc.value.status, exc.value.attempts) == (502, 3)


def test_retry_after_beyond_the_cap_fails_at_once(replay, nws):
    nws.fault = lambda request: Reply(429, "", {"Retry-After": "3600"})
    with client(replay) as c, pytest.raises(HttpError, match="after 3600 s"):
        c.active_alerts(["TX"])
    assert len(nws.requests) == 1


def test_403_is_not_retried_and_says_what_to_check(replay, nws):
    body = json.dumps({"title": "Forbidden", "detail": "A User-Agent header is required", "status": 403})
    nws.fault = lambda request: Reply(403, body, {"Content-Type": "application/problem+json"})
    with client(replay) as c, pytest.raises(HttpError, match=r"HTTP 403 .*Forbidden; A User-Agent header is "
                                                                 r"required.*GRIDFLOW_STORM__USER_AGENT") as exc:
        c.active_alerts(["TX"])
    assert exc.value.status == 403 and len(nws.requests) == 1


def test_400_for_a_bad_area_names_the_parameter(replay, nws):
    with client(replay) as c, pytest.raises(HttpError, match=r"HTTP 400 .*area: Does not have a value in the "
                                                                 r"enumeration: 'T1'.*GRIDFLOW_STORM__AREAS"):
        c.active_alerts(["T1"])
    assert len(nws.requests) == 1


def test_404_on_a_wrong_base_url(replay, nws):
    with NwsClient(f"{replay.base_url}/v9", user_agent=UA) as c, pytest.raises(HttpError, match=r"HTTP 404 .*"
                                                                                   r"GRIDFLOW_STORM__NWS_BASE_URL"):
        c.active_alerts(["TX"])


def test_area_filter_and_several_areas(replay, nws):
    with client(replay) as c:
        assert alert_ids(c.active_alerts(["OK"]).body) == []
        both = c.active_alerts(["tx", "OK", "TX"])
    assert nws.requests[-1].query == {"area": "OK,TX"} and len(alert_ids(both.body)) == 2
    with client(replay) as c, pytest.raises(ConfigError, match="no NWS area"):
        c.active_alerts([" "])


def test_connection_errors_are_retried_then_raise_source_unreachable():
    waits: list[float] = []
    port = free_port()
    c = NwsClient(f"http://127.0.0.1:{port}", user_agent=UA, sleep=waits.append,
                  retry=RetryPolicy(max_attempts=3, backoff_seconds=0.25))
    with c, pytest.raises(SourceUnreachable) as info:
        c.active_alerts(["TX"])
    assert waits == [0.25, 0.5]
    # The endpoint without its query string; the task layer still retries it.
    assert str(info.value) == (f"NWS API unreachable at http://127.0.0.1:{port}/alerts/active: "
                               "connection refused (nothing listens on that port)")
    assert info.value.attempts == 3 and is_transient(info.value)
