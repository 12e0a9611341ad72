"""The `gridflow.asset.health.degraded` event of a stored score (pure, no Prefect).

Its id is derived from the reading id: a reading announced twice (redelivered after a crash
between the announcement and the ack, or scored by two consumers) sends the same id, which
Prefect's event store and triggers drop as already seen, so one reading starts at most one
inspection-planning run.
"""

from __future__ import annotations

import uuid
from datetime import UTC

from gridflow.events import ASSET_HEALTH_DEGRADED, Event, asset_resource, model_resource, resource
from gridflow.streaming.messages import Score

# Fixed namespace: the same reading gives the same event id on every machine and every run.
_EVENT_NAMESPACE = uuid.UUID("0b7e6c1a-52d4-5f0e-8c3b-9d1e4a7f2c60")


def event_id(reading_id: str) -> uuid.UUID:
    """Deterministic id of the degraded event of `reading_id`."""
    return uuid.uuid5(_EVENT_NAMESPACE, f"{ASSET_HEALTH_DEGRADED}/{reading_id}")


def degraded_event(score: Score) -> Event:
    """The event announcing that `score`'s unit is at or above the attention threshold."""
    labels = {"prefect.resource.name": score.asset_id, "gridflow.reading-id": score.reading_id}
    related = [resource(model_resource(score.model_name),
                        {"prefect.resource.role": "model", "gridflow.model.version": score.model_version})]
    payload = {
        "asset_id": score.asset_id,
        "reading_id": score.reading_id,
        "health_index": score.health_index,
        "threshold": score.threshold,
        "model_name": score.model_name,
        "model_version": score.model_version,
        "sampled_at_utc": None if score.sampled_at_utc is None else _iso(score.sampled_at_utc),
        "scored_at_utc": _iso(score.scored_at_utc),
    }
    return Event(ASSET_HEALTH_DEGRADED, resource(asset_resource(score.asset_id), labels), payload, related,
                 event_id(score.reading_id))


def _iso(value) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
