"""The payload and id of a weather-alert event (pure, no Prefect); names come from gridflow.events.

``gridflow.weather.alert.issued|updated|cancelled`` on resource ``nws.alert.<message id>``. The
payload carries what the storm response scores with (counties, zones, gust, hail, times), so a
triggered run can start from the event alone; the warehouse row stays the record
(`gridflow.warehouse.alerts.get_alert`). The event id is derived from the stored row (message id,
kind, first-seen time): announcing the same row twice (a crash between emitting and marking it
announced) sends the same id, which Prefect's event store and triggers drop as already seen,
while a fresh warehouse meeting the same message again still gets a new event through.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from gridflow.events import WEATHER_ALERT, Event, alert_chain_resource, alert_resource, resource

if TYPE_CHECKING:
    from gridflow.warehouse.alerts import StoredAlert

# Fixed namespace: the same message and kind give the same event id on every machine.
_EVENT_NAMESPACE = uuid.UUID("6f1d7a52-3c1e-5b8e-9a0f-2f6c1e7d4b10")


def event_id(alert_id: str, kind: str, first_seen_utc: datetime) -> uuid.UUID:
    """Deterministic event id of announcing the row of `alert_id` (stored at `first_seen_utc`) as `kind`."""
    stamp = first_seen_utc.astimezone(UTC).isoformat()
    return uuid.uuid5(_EVENT_NAMESPACE, f"{WEATHER_ALERT[kind]}/{alert_id}/{stamp}")


def announcement(alert: StoredAlert) -> Event:
    """The event for a stored message; its kind comes from the row (`StoredAlert.change_kind`)."""
    kind = alert.change_kind
    labels = {"prefect.resource.name": alert.title[:200], "gridflow.alert.chain-id": alert.chain_id,
              "gridflow.alert.event": alert.event}
    related = [resource(alert_chain_resource(alert.chain_id), {"prefect.resource.role": "alert-chain"})]
    # `occurred` is left to emit_event (now): NWS `sent` is in the payload, and an event dated
    # months back would fall outside the UI's and the events API's default windows.
    return Event(WEATHER_ALERT[kind], resource(alert_resource(alert.alert_id), labels), alert_payload(alert), related,
                 event_id(alert.alert_id, kind, alert.first_seen_utc))


def alert_payload(alert: StoredAlert) -> dict[str, Any]:
    """JSON-ready facts of the message for the storm response (times as UTC ISO 8601, ``Z``)."""
    return {
        "alert_id": alert.alert_id,
        "chain_id": alert.chain_id,
        "version": alert.chain_version,
        "kind": alert.change_kind,
        "message_type": alert.message_type,
        "status": alert.status,
        "event": alert.event,
        "severity": alert.severity,
        "certainty": alert.certainty,
        "urgency": alert.urgency,
        "headline": alert.headline,
        "area_desc": alert.area_desc,
        "sender_name": alert.sender_name,
        "same_codes": list(alert.same_codes),
        "ugc_codes": list(alert.ugc_codes),
        "county_fips": list(alert.county_fips),
        "max_wind_gust_mph": alert.max_wind_gust_mph,
        "max_hail_in": alert.max_hail_in,
        "references": list(alert.references),
        "sent": _iso(alert.sent_utc),
        "effective": _iso(alert.effective_utc),
        "onset": _iso(alert.onset_utc),
        "expires": _iso(alert.expires_utc),
        "ends": _iso(alert.ends_utc),
        "received_via": alert.received_via,
    }


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
