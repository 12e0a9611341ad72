"""The gridflow.weather.alert.* events: names, resource, payload the storm response scores with,
and the deterministic event id that makes a repeated announcement harmless."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

from gridflow.events import WEATHER_ALERT, alert_chain_resource, alert_resource
from gridflow.replay import nws as fake
from gridflow.sources.nws_alerts import parse_feature
from gridflow.storm.alert_events import alert_payload, announcement, event_id
from gridflow.warehouse.alerts import StoredAlert

NOW = datetime(2026, 5, 12, 21, 0, tzinfo=UTC)


def stored(feature: dict, chain_id: str, version: int, status: str = "active") -> StoredAlert:
    """The row `record_alerts` would keep for `feature`."""
    a = parse_feature(feature)
    return StoredAlert(
        alert_id=a.alert_id, chain_id=chain_id, chain_version=version, message_type=a.message_type, status=status,
        event=a.event, severity=a.severity, certainty=a.certainty, urgency=a.urgency, sent_utc=a.sent_utc,
        effective_utc=a.effective_utc, onset_utc=a.onset_utc, expires_utc=a.expires_utc, ends_utc=a.ends_utc,
        area_desc=a.area_desc, same_codes=a.same_codes, ugc_codes=a.ugc_codes, references=a.reference_ids,
        max_wind_gust_mph=a.max_wind_gust_mph, max_hail_in=a.max_hail_in, sender_name=a.sender_name,
        headline=a.headline, superseded_by=None, received_via="poll", first_seen_utc=NOW, announced_at=None,
        updated_at=NOW, document=feature)


def test_issued_event_carries_what_scoring_needs():
    note = announcement(stored(fake.svr_alert(), fake.SVR_ALERT_ID, 1))
    assert note.event == WEATHER_ALERT["issued"]
    assert note.resource["prefect.resource.id"] == alert_resource(fake.SVR_ALERT_ID)
    assert note.resource["prefect.resource.name"].startswith("Severe Thunderstorm Warning issued May 12 at 3:42PM")
    assert note.resource["gridflow.alert.chain-id"] == fake.SVR_ALERT_ID
    assert note.related == [{"prefect.resource.id": alert_chain_resource(fake.SVR_ALERT_ID),
                             "prefect.resource.role": "alert-chain"}]
    p = note.payload
    assert (p["alert_id"], p["chain_id"], p["version"], p["kind"]) == (fake.SVR_ALERT_ID, fake.SVR_ALERT_ID, 1, "issued")
    assert (p["message_type"], p["event"], p["severity"], p["status"]) == ("Alert", "Severe Thunderstorm Warning", "Severe", "active")
    assert p["same_codes"] == ["048201", "048157", "048167"]
    assert p["ugc_codes"] == ["TXC201", "TXC157", "TXC167"]
    assert p["county_fips"] == ["48157", "48167", "48201"]
    assert (p["max_wind_gust_mph"], p["max_hail_in"]) == (70.0, 1.75)
    assert (p["onset"], p["expires"], p["sent"]) == ("2026-05-12T20:42:00Z", "2026-05-12T21:30:00Z", "2026-05-12T20:42:00Z")
    assert json.loads(json.dumps(p)) == p  # plain JSON: Prefect stores it as is


def test_update_and_cancel_events():
    update = announcement(stored(fake.svr_update(), fake.SVR_ALERT_ID, 2))
    assert update.event == WEATHER_ALERT["updated"]
    assert update.payload["version"] == 2 and update.payload["chain_id"] == fake.SVR_ALERT_ID
    assert "48039" in update.payload["county_fips"] and update.payload["max_wind_gust_mph"] == 80.0
    assert update.payload["references"] == [fake.SVR_ALERT_ID]
    cancel = announcement(stored(fake.svr_cancel(), fake.SVR_ALERT_ID, 3, status="cancelled"))
    assert cancel.event == WEATHER_ALERT["cancelled"]
    assert (cancel.payload["status"], cancel.payload["max_wind_gust_mph"]) == ("cancelled", None)


def test_an_update_that_starts_a_chain_is_announced_as_issued():
    note = announcement(stored(fake.svr_update(), fake.SVR_ALERT_ID, 1))
    assert note.event == WEATHER_ALERT["issued"] and note.payload["message_type"] == "Update"


def test_event_id_is_stable_per_message_and_kind():
    row = stored(fake.svr_alert(), fake.SVR_ALERT_ID, 1)
    assert announcement(row).event_id == announcement(replace(row, announced_at=NOW)).event_id
    assert event_id("A", "issued", NOW) == event_id("A", "issued", NOW.astimezone(timezone(timedelta(hours=-5))))
    later = NOW + timedelta(days=1)  # the same message stored again in a fresh warehouse: a new event
    assert len({event_id("A", "issued", NOW), event_id("A", "updated", NOW), event_id("B", "issued", NOW),
                event_id("A", "issued", later)}) == 4


def test_payload_without_optional_times():
    row = replace(stored(fake.svr_alert(), "c", 1), onset_utc=None, ends_utc=None, headline=None)
    payload = alert_payload(row)
    assert payload["onset"] is None and payload["ends"] is None
    assert announcement(row).resource["prefect.resource.name"].startswith("Severe Thunderstorm Warning (Harris, TX")
