"""The poll-weather-alerts flow on a real Prefect server against a fake api.weather.gov
(ReplayServer), and `gridflow alerts push`: the events that reach Prefect are read back.

Scenario (gridflow.replay.nws): a Severe Thunderstorm Warning over Harris, Fort Bend and Galveston
counties -> the same list again -> its Update (adds Brazoria, 80 mph) -> its Cancel; a Flood Watch
rides along every time and must never be announced.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from gridflow.replay import ReplayServer
from gridflow.replay.nws import (
    FLOOD_WATCH_ID,
    SVR_ALERT_ID,
    SVR_CANCEL_ID,
    SVR_UPDATE_ID,
    serve_nws,
    texas_storm_scenario,
)

pytestmark = pytest.mark.integration

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "nws"


@pytest.fixture
def storm_env(gridflow_env, monkeypatch):
    """Fast NWS retries for the test."""
    from gridflow.config import reset_settings

    monkeypatch.setenv("GRIDFLOW_STORM__BACKOFF_SECONDS", "0.01")
    monkeypatch.setenv("GRIDFLOW_STORM__MAX_ATTEMPTS", "2")
    reset_settings()
    return gridflow_env


def alert_events(since: datetime) -> list:
    """gridflow.weather.alert.* events on nws.alert.* resources since `since`, oldest first."""
    from prefect.client.orchestration import get_client
    from prefect.events.filters import EventFilter, EventNameFilter, EventOccurredFilter, EventResourceFilter

    event_filter = EventFilter(
        occurred=EventOccurredFilter(since=since, until=datetime.now(UTC) + timedelta(minutes=5)),
        event=EventNameFilter(prefix=["gridflow.weather.alert."]),
        resource=EventResourceFilter(id_prefix=["nws.alert."]),
    )
    with get_client(sync_client=True) as client:
        page = client.read_events(filter=event_filter, limit=50)
    return sorted(page.events, key=lambda e: e.occurred)


def wait_for_events(since: datetime, count: int, timeout: float = 45) -> list:
    """The events once `count` have been stored (the server persists them in batches)."""
    deadline = time.monotonic() + timeout
    while True:
        events = alert_events(since)
        if len(events) >= count or time.monotonic() > deadline:
            return events
        time.sleep(0.5)


def names(events) -> list[tuple[str, str]]:
    return [(e.event, e.resource.id) for e in events]


def stored(alert_id: str):
    from gridflow.warehouse.alerts import get_alert
    from tasks.common import warehouse

    with warehouse().connect() as conn:
        return get_alert(conn, alert_id)


def test_alert_again_update_cancel_each_announced_once(storm_env):
    from flows.poll_weather_alerts import poll_weather_alerts

    since = datetime.now(UTC)  # events get `occurred` from this process's clock; earlier tests' stay out
    fake = texas_storm_scenario()
    with ReplayServer() as server:
        serve_nws(server, fake)
        url = server.base_url

        first = poll_weather_alerts(areas=["TX"], base_url=url)
        assert (first.seen, first.relevant, first.count("issued"), len(first.ignored)) == (2, 1, 1, 1)
        assert first.ignored[0].alert_id == FLOOD_WATCH_ID and "not a storm warning" in first.ignored[0].reason
        assert [a.alert_id for a in first.announced] == [SVR_ALERT_ID]
        events = wait_for_events(since, 1)
        assert names(events) == [("gridflow.weather.alert.issued", f"nws.alert.{SVR_ALERT_ID}")]
        payload = events[0].payload
        assert (payload["alert_id"], payload["version"], payload["county_fips"]) == (SVR_ALERT_ID, 1, ["48157", "48167", "48201"])
        assert (payload["max_wind_gust_mph"], payload["max_hail_in"], payload["received_via"]) == (70.0, 1.75, "poll")
        assert stored(SVR_ALERT_ID).announced_at is not None

        # Same list, same ETag: 304, nothing parsed, nothing announced.
        unchanged = poll_weather_alerts(areas=["TX"], base_url=url)
        assert unchanged.not_modified and unchanged.announced == [] and unchanged.changes == []
        assert fake.requests[-1].headers.get("If-None-Match")

        # Same alerts in a restamped list (new ETag): parsed again, still nothing new.
        fake.advance()
        again = poll_weather_alerts(areas=["TX"], base_url=url)
        assert not again.not_modified and (again.relevant, again.unchanged, again.announced) == (1, 1, [])

        fake.advance()
        update = poll_weather_alerts(areas=["TX"], base_url=url)
        assert [(c.kind, c.alert_id, c.chain_id, c.chain_version) for c in update.changes] == [
            ("updated", SVR_UPDATE_ID, SVR_ALERT_ID, 2)]
        events = wait_for_events(since, 2)
        assert names(events)[1:] == [("gridflow.weather.alert.updated", f"nws.alert.{SVR_UPDATE_ID}")]
        assert events[1].payload["chain_id"] == SVR_ALERT_ID and events[1].payload["max_wind_gust_mph"] == 80.0
        assert "48039" in events[1].payload["county_fips"]
        assert stored(SVR_ALERT_ID).status == "superseded"

        fake.advance()
        cancel = poll_weather_alerts(areas=["TX"], base_url=url)
        assert [(c.kind, c.chain_version) for c in cancel.changes] == [("cancelled", 3)]
        events = wait_for_events(since, 3)

    assert names(events) == [
        ("gridflow.weather.alert.issued", f"nws.alert.{SVR_ALERT_ID}"),
        ("gridflow.weather.alert.updated", f"nws.alert.{SVR_UPDATE_ID}"),
        ("gridflow.weather.alert.cancelled", f"nws.alert.{SVR_CANCEL_ID}"),
    ]
    assert [r.status for r in (stored(SVR_ALERT_ID), stored(SVR_UPDATE_ID), stored(SVR_CANCEL_ID))] == [
        "superseded", "cancelled", "cancelled"]
    assert stored(FLOOD_WATCH_ID) is None
    time.sleep(2)  # a stray repeat would have been persisted by now
    assert len(alert_events(since)) == 3
    assert all(request.headers.get("User-Agent") for request in fake.requests)
    assert_artifact("poll-weather-alerts", "1 storm-relevant; new 0, updated 0, cancelled 1")


def test_crash_before_marking_announces_again_with_the_same_event_id(storm_env):
    from flows.poll_weather_alerts import poll_weather_alerts
    from gridflow.storm.announce import announce_pending
    from gridflow.warehouse.tables import weather_alert
    from tasks.common import warehouse

    with ReplayServer() as server:
        serve_nws(server, texas_storm_scenario())
        first = poll_weather_alerts(areas=["TX"], base_url=server.base_url)
    with warehouse().begin() as conn:  # as if the process died between emitting and marking
        conn.execute(weather_alert.update().values(announced_at=None))
    again = announce_pending()
    assert [a.event_id for a in again] == [a.event_id for a in first.announced]


def test_alerts_push_cli(storm_env):
    from typer.testing import CliRunner

    from gridflow_cli.main import app

    since = datetime.now(UTC)  # events get `occurred` from this process's clock; earlier tests' stay out
    runner = CliRunner()
    pushed = runner.invoke(app, ["alerts", "push", str(FIXTURES / "nws_alert_tx_svr_alert_feature_derived.json")])
    assert pushed.exit_code == 0, pushed.output
    assert f"issued    Severe Thunderstorm Warning: {SVR_ALERT_ID} (chain {SVR_ALERT_ID}, version 1)" in pushed.output
    assert f"emitted   gridflow.weather.alert.issued for {SVR_ALERT_ID}" in pushed.output

    same = runner.invoke(app, ["alerts", "push", str(FIXTURES / "nws_alerts_active_tx_1_alert_derived.json")])
    assert same.exit_code == 0, same.output
    assert "new 0, updated 0, cancelled 0, unchanged 1, ignored 1; 0 event(s) emitted" in same.output
    assert "ignored   Flood Watch" in same.output

    update = runner.invoke(app, ["alerts", "push", str(FIXTURES / "nws_alerts_active_tx_2_update_derived.json")])
    assert update.exit_code == 0, update.output
    assert f"updated   Severe Thunderstorm Warning: {SVR_UPDATE_ID} (chain {SVR_ALERT_ID}, version 2)" in update.output

    events = wait_for_events(since, 2)
    assert names(events) == [("gridflow.weather.alert.issued", f"nws.alert.{SVR_ALERT_ID}"),
                             ("gridflow.weather.alert.updated", f"nws.alert.{SVR_UPDATE_ID}")]
    assert {e.payload["received_via"] for e in events} == {"push"}


def test_alerts_push_rejects_a_broken_document(storm_env, tmp_path):
    from typer.testing import CliRunner

    from gridflow_cli.main import app

    broken = tmp_path / "broken.json"
    broken.write_text('{"type": "Feature", "properties": {"id": "x", "event": "Tornado Warning"}}')
    result = CliRunner().invoke(app, ["alerts", "push", str(broken)])
    assert result.exit_code == 1
    assert "push:broken.json (x): 'messageType' is missing or empty" in result.output
    missing = CliRunner().invoke(app, ["alerts", "push", str(tmp_path / "nope.json")])
    assert missing.exit_code == 1 and "no such file" in missing.output


def assert_artifact(key: str, text: str) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    with get_client(sync_client=True) as client:
        found = client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key])))
    assert any(text in (a.description or "") for a in found), [a.description for a in found]
