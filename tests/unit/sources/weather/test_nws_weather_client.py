"""NwsWeatherClient against the replay server (real recorded answers): User-Agent always sent,
429/5xx retried then a one-line HttpError naming the endpoint, `start=` of observations."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from gridflow.clients.http_retry import HttpError, RetryPolicy
from gridflow.clients.nws_weather import NwsWeatherClient, points_path
from gridflow.errors import ConfigError
from gridflow.replay import ReplayServer
from gridflow.replay.nws_weather import real_weather_scenario
from gridflow.sources.weather.nws_points import parse_points

UA = "gridflow-test (ops@example.com)"


@pytest.fixture
def served():
    with ReplayServer() as server:
        fake = real_weather_scenario().serve(server)
        yield server, fake


def client(server: ReplayServer, attempts: int = 3) -> NwsWeatherClient:
    return NwsWeatherClient(server.base_url, user_agent=UA, retry=RetryPolicy(attempts, 0.5), sleep=lambda s: None)


def test_points_forecast_observations_with_user_agent(served):
    server, fake = served
    with client(server) as nws:
        grid = parse_points(nws.points(30.0, -85.0).body)
        forecast = nws.forecast_hourly(grid.grid_id, grid.grid_x, grid.grid_y)
        obs = nws.observations("KFLL", datetime(2026, 12, 4, 7, 3, 34, 123456, tzinfo=UTC))
    assert forecast.url.endswith("/gridpoints/TAE/58,65/forecast/hourly") and forecast.fetched_at_utc.tzinfo
    assert b'"periods"' in forecast.body and b'"features"' in obs.body
    assert {r.headers.get("User-Agent") for r in fake.requests} == {UA}
    assert {r.headers.get("Accept") for r in fake.requests} == {"application/geo+json"}
    assert fake.requests[-1].query == {"start": "2026-12-04T07:03:34Z"}


def test_points_path_keeps_at_most_four_decimals():
    assert points_path(39.17543, -76.66830) == "/points/39.1754,-76.6683"
    assert points_path(30.0, -85.0) == "/points/30,-85"


def test_500_then_success_is_retried(served):
    server, fake = served
    fake.fail("forecast", times=2).fail("points", times=1, status=429)
    with client(server) as nws:
        nws.points(30, -85)
        nws.forecast_hourly("TAE", 58, 65)
        assert nws.waits == [0.5, 0.5, 1.0]


def test_500_forever_names_the_endpoint_in_one_line(served):
    server, fake = served
    fake.fail("forecast", times=None)
    with client(server) as nws, pytest.raises(HttpError) as info:
        nws.forecast_hourly("TAE", 58, 65)
    message = str(info.value)
    assert "\n" not in message and info.value.status == 500 and info.value.attempts == 3
    assert "/gridpoints/TAE/58,65/forecast/hourly" in message and "on all 3 attempts" in message


def test_unknown_grid_404_is_not_retried_and_hints_at_the_sites(served):
    server, _ = served
    with client(server) as nws, pytest.raises(HttpError, match="GRIDFLOW_WEATHER__SITES") as info:
        nws.forecast_hourly("XXX", 1, 1)
    assert info.value.status == 404 and info.value.attempts == 1


def test_user_agent_is_required():
    with pytest.raises(ConfigError, match="GRIDFLOW_WEATHER__USER_AGENT"):
        NwsWeatherClient("http://127.0.0.1:9", user_agent=" ")
