"""One message through the handler, with every step safe to repeat: what is published and announced
is the stored row, a degraded unit is announced on every delivery under one event id, a malformed
message is dead-lettered, and anything else raises so the broker delivers it again."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy.exc import OperationalError

from gridflow import events
from gridflow.streaming.alarms import degraded_event, event_id
from gridflow.streaming.handler import NoChampion
from gridflow.streaming.sink import read_scores
from gridflow.warehouse.engine import make_engine
from tests.unit.streaming.conftest import MODEL, TOPICS, reading_body


def test_a_reading_is_scored_stored_published_keyed_and_a_healthy_one_not_announced(handler, recorded, engine):
    outcome = asyncio.run(handler.handle(reading_body("r1", 300.0)))
    assert (outcome.status, outcome.reading_id, outcome.new, outcome.degraded) == ("scored", "r1", True, False)
    (topic, _, key), = recorded.published
    assert (topic, key) == (TOPICS.output, "r1")
    (score,) = recorded.on(TOPICS.output)
    assert (score["health_index"], score["degraded"], score["model_version"], score["threshold"]) == (30.0, False, "1", 50.0)
    assert recorded.announced == []
    with engine.connect() as conn:
        assert [(s.reading_id, s.health_index) for s in read_scores(conn)] == [("r1", 30.0)]


def test_a_degraded_unit_is_announced_on_its_asset_with_a_stable_id_on_every_delivery(handler, recorded, champions):
    first = asyncio.run(handler.handle(reading_body("r2", 700.0, asset="TX-0042")))
    assert first.degraded and first.announced and first.new
    # Redelivered after a hot swap to version 2 (which would answer 170): the stored answer is repeated.
    champions.version = "2"
    handler.holder.refresh()
    again = asyncio.run(handler.handle(reading_body("r2", 700.0, asset="TX-0042")))
    assert (again.new, again.degraded, again.announced) == (False, True, True)
    scores = recorded.on(TOPICS.output)
    assert [(s["health_index"], s["model_version"]) for s in scores] == [(70.0, "1"), (70.0, "1")]
    one, two = recorded.announced
    assert one == two  # same event, same id: Prefect keeps one, one inspection run
    assert one.event == events.ASSET_HEALTH_DEGRADED
    assert one.resource["prefect.resource.id"] == events.asset_resource("TX-0042")
    assert one.event_id == event_id("r2") == uuid.uuid5(uuid.UUID("0b7e6c1a-52d4-5f0e-8c3b-9d1e4a7f2c60"),
                                                          f"{events.ASSET_HEALTH_DEGRADED}/r2")
    assert one.payload | {"scored_at_utc": None} == {
        "asset_id": "TX-0042", "reading_id": "r2", "health_index": 70.0, "threshold": 50.0, "model_name": MODEL,
        "model_version": "1", "sampled_at_utc": None, "scored_at_utc": None}
    assert one.related == [{"prefect.resource.id": "gridflow.model.transformer_health",
                            "prefect.resource.role": "model", "gridflow.model.version": "1"}]
    assert dict(handler.counts) == {"scored": 1, "redelivered": 1, "degraded": 1}
    # A new reading after the swap is scored by the new champion: the hot swap reaches the stream.
    asyncio.run(handler.handle(reading_body("r3", 100.0)))
    assert recorded.on(TOPICS.output)[-1]["model_version"] == "2"
    assert recorded.on(TOPICS.output)[-1]["health_index"] == 110.0


def test_a_malformed_message_goes_to_the_dead_letter_topic_and_the_next_is_scored(handler, recorded):
    bad = asyncio.run(handler.handle(b'{"reading_id": "r3", "asset_id": "A"}'))
    assert bad.status == "dead-letter" and "hydrogen_ppm" in bad.error
    good = asyncio.run(handler.handle(reading_body("r4", 10.0)))
    assert good.status == "scored"
    (letter,) = recorded.on(TOPICS.dead_letter)
    assert letter["field"] == "hydrogen_ppm" and letter["consumer"] == "gridflow-stream@test"
    assert letter["message"] == '{"reading_id": "r3", "asset_id": "A"}'
    (key,) = [key for topic, _, key in recorded.published if topic == TOPICS.dead_letter]
    assert key.startswith("malformed-")  # keyed by content: a repeated dead letter is recognisable


def test_a_batch_is_one_model_call_with_one_outcome_per_message_in_order(handler, recorded, engine):
    batch = [reading_body("b1", 10.0), b"garbage", reading_body("b2", 900.0), reading_body("b1", 10.0)]
    outcomes = asyncio.run(handler.handle_batch(batch))
    assert [(o.status, o.reading_id, o.new, o.degraded, o.announced) for o in outcomes] == [
        ("scored", "b1", True, False, False),
        ("dead-letter", None, False, False, False),
        ("scored", "b2", True, True, True),
        ("scored", "b1", False, False, False),  # the same reading twice in a batch: stored and sent once
    ]
    assert handler.holder.get(MODEL).model.calls == 1
    assert sorted(s["reading_id"] for s in recorded.on(TOPICS.output)) == ["b1", "b2"]
    assert len(recorded.on(TOPICS.dead_letter)) == 1 and len(recorded.announced) == 1
    with engine.connect() as conn:
        assert [s.reading_id for s in read_scores(conn)] == ["b1", "b2"]
    assert dict(handler.counts) == {"scored": 2, "redelivered": 1, "degraded": 1, "dead-letter": 1}


def test_without_a_champion_or_a_warehouse_the_message_is_handed_back_not_lost(handler, recorded):
    handler.holder._served.clear()  # as before the first poll found a champion
    with pytest.raises(NoChampion):
        asyncio.run(handler.handle(reading_body("r5", 10.0)))
    handler.holder.refresh()
    handler.engine = make_engine("sqlite://")  # a warehouse that cannot take the write
    with pytest.raises(OperationalError):
        asyncio.run(handler.handle(reading_body("r5", 10.0)))
    assert recorded.published == [] and recorded.announced == []  # nothing went out for an unstored score


def test_events_off_are_logged_once_and_not_fatal(handler, recorded, caplog):
    handler.announce = lambda batch: False
    for rid in ("d1", "d2"):
        assert not asyncio.run(handler.handle(reading_body(rid, 900.0))).announced
    assert caplog.text.count("emits no Prefect events") == 1


def test_the_event_of_a_stored_score_is_built_from_the_score_alone():
    from datetime import UTC, datetime

    from gridflow.streaming.messages import Score

    at = datetime(2024, 5, 1, tzinfo=UTC)
    event = degraded_event(Score("r9", "TX-9", 61.0, 50.0, True, MODEL, "4", at, at))
    assert event.payload["sampled_at_utc"] == event.payload["scored_at_utc"] == "2024-05-01T00:00:00Z"
    assert event.resource == {"prefect.resource.id": "gridflow.asset.TX-9", "prefect.resource.name": "TX-9",
                              "gridflow.reading-id": "r9"}
