"""Every Prefect event gridflow emits or answers: names and resource ids, in one place.

Emitters, deployment triggers and tests import these names, so a trigger can never wait for an
event spelled differently from the one that is sent. `emit` is the one call that sends one.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

# Model lifecycle (resource: `model_resource(name)`).
DRIFT_DETECTED = "gridflow.model.drift.detected"
MODEL_PROMOTED = "gridflow.model.promoted"
PROMOTION_REJECTED = "gridflow.model.promotion.rejected"
MODEL_ROLLED_BACK = "gridflow.model.rolled_back"

# Data (resource: `dataset_resource(name)`).
DATA_QUARANTINED = "gridflow.data.quarantined"

# Weather alerts (resource: `alert_resource(message id)`; related: `alert_chain_resource(chain)`).
WEATHER_ALERT_PREFIX = "gridflow.weather.alert"
WEATHER_ALERT_KINDS = ("issued", "updated", "cancelled")
WEATHER_ALERT = {kind: f"{WEATHER_ALERT_PREFIX}.{kind}" for kind in WEATHER_ALERT_KINDS}

# Asset condition (resource: `asset_resource(asset id)`).
ASSET_HEALTH_DEGRADED = "gridflow.asset.health.degraded"

MODEL_RESOURCE_PREFIX = "gridflow.model."
DATASET_RESOURCE_PREFIX = "gridflow.dataset."
ALERT_RESOURCE_PREFIX = "nws.alert."
ALERT_CHAIN_RESOURCE_PREFIX = "nws.alert-chain."
ASSET_RESOURCE_PREFIX = "gridflow.asset."


def model_resource(model: str) -> str:
    """``gridflow.model.<name>``: the resource of every model lifecycle event."""
    return f"{MODEL_RESOURCE_PREFIX}{model}"


def dataset_resource(dataset: str) -> str:
    """``gridflow.dataset.<name>``: the resource of data events (quarantine)."""
    return f"{DATASET_RESOURCE_PREFIX}{dataset}"


def alert_resource(alert_id: str) -> str:
    """``nws.alert.<id>``: what storm-response triggers match (``nws.alert.*``)."""
    return f"{ALERT_RESOURCE_PREFIX}{alert_id}"


def alert_chain_resource(chain_id: str) -> str:
    """``nws.alert-chain.<id>``: the related resource tying an alert's updates together."""
    return f"{ALERT_CHAIN_RESOURCE_PREFIX}{chain_id}"


def asset_resource(asset_id: str) -> str:
    """``gridflow.asset.<id>``: the resource of asset condition events."""
    return f"{ASSET_RESOURCE_PREFIX}{asset_id}"


def alert_id_from_resource(resource: str) -> str:
    """The message id back from ``nws.alert.<id>`` (a trigger may pass the resource id)."""
    if not resource.startswith(ALERT_RESOURCE_PREFIX):
        raise ValueError(f"not an NWS alert resource id: {resource!r}")
    return resource[len(ALERT_RESOURCE_PREFIX):]


def asset_id_from_resource(resource: str) -> str:
    """The asset id back from ``gridflow.asset.<id>`` (a trigger passes the resource id)."""
    if not resource.startswith(ASSET_RESOURCE_PREFIX):
        raise ValueError(f"not an asset resource id: {resource!r}")
    return resource[len(ASSET_RESOURCE_PREFIX):]


def resource(resource_id: str, labels: dict[str, str] | None = None) -> dict[str, str]:
    """The `resource` of an emitted event: its id plus optional labels (name, role, our own keys)."""
    return {"prefect.resource.id": resource_id, **(labels or {})}


def resource_match(resource_id: str) -> dict[str, str]:
    """The `match` of a deployment trigger that answers events on `resource_id` (``*`` allowed)."""
    return resource(resource_id)


@dataclass(frozen=True)
class Event:
    """One event to send: name, resource labels, related resources, payload, optional fixed id."""

    event: str
    resource: dict[str, str]
    payload: dict[str, Any] = field(default_factory=dict)
    related: list[dict[str, str]] = field(default_factory=list)
    # A deterministic id makes a re-sent event (crash between send and bookkeeping) a no-op.
    event_id: uuid.UUID | None = None


def emit(event: Event) -> str | None:
    """Send `event` through the configured Prefect API; returns its id (None when events are off)."""
    from prefect.events import emit_event

    kwargs: dict[str, Any] = {"event": event.event, "resource": event.resource, "payload": event.payload}
    if event.related:
        kwargs["related"] = event.related
    if event.event_id is not None:
        kwargs["id"] = event.event_id
    sent = emit_event(**kwargs)
    return None if sent is None else str(sent.id)


def flush() -> None:
    """Wait until every queued event has been sent (`emit` only queues); a short-lived process
    calls this before it exits or before it records that an event went out."""
    from prefect.events.worker import EventsWorker

    EventsWorker.instance().wait_until_empty()
