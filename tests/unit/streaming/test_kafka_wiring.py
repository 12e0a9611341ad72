"""The Kafka wiring on FastStream's in-memory test broker (no Kafka runs here): a reading in gives a
score out on the output topic keyed by reading id, a malformed message goes to the dead-letter
topic and the next reading is still scored, and the subscriber is an at-least-once consumer group.
tests/integration/test_stream_brokers.py runs the same handler on real NATS, Redis and RabbitMQ."""

from __future__ import annotations

import asyncio
import json

import pytest
from faststream import AckPolicy
from faststream.kafka import TestKafkaBroker
from sqlalchemy.exc import OperationalError

from gridflow.streaming.brokers import BATCH, KafkaStream, make_broker
from gridflow.streaming.handler import KEY_HEADER
from gridflow.warehouse.engine import make_engine
from tests.unit.streaming.conftest import TOPICS, reading_body


def kafka(handler) -> KafkaStream:
    stream = make_broker("kafka://broker-1:9092,broker-2:9092", TOPICS, group="gridflow-stream",
                         consumer="gridflow-stream@test", redeliver_seconds=30)
    handler.publish = stream.publish
    stream.consume(handler.handle_batch, retry_seconds=0)
    return stream


def test_a_reading_in_gives_a_keyed_score_out_and_a_malformed_one_a_dead_letter(handler, recorded, engine):
    stream = kafka(handler)
    scores, letters = stream.collect(TOPICS.output), stream.collect(TOPICS.dead_letter)

    async def run() -> None:
        async with TestKafkaBroker(stream.broker) as broker:
            await broker.publish(reading_body("r1", 120.0), TOPICS.input, key=b"r1")
            await broker.publish(b"\x00 not a reading", TOPICS.input)
            await broker.publish(reading_body("r2", 640.0), TOPICS.input, key=b"r2")

    asyncio.run(run())
    assert [(json.loads(m.body)["reading_id"], m.key) for m in scores] == [("r1", "r1"), ("r2", "r2")]
    assert [json.loads(m.body)["degraded"] for m in scores] == [False, True]
    (letter,) = letters
    assert json.loads(letter.body)["message"] == "\x00 not a reading"
    assert "not JSON" in json.loads(letter.body)["error"]
    assert [e.payload["reading_id"] for e in recorded.announced] == ["r2"]
    assert dict(handler.counts) == {"scored": 2, "dead-letter": 1, "degraded": 1}


def test_scores_are_kafka_keyed_by_reading_id(handler):
    stream = kafka(handler)
    sent = []

    async def spy(body, topic, **kwargs):
        sent.append((topic, kwargs["key"], kwargs["headers"][KEY_HEADER], kwargs["correlation_id"]))

    stream.broker.publish = spy
    asyncio.run(stream.publish(TOPICS.output, b"{}", key="r8"))
    assert sent == [(TOPICS.output, b"r8", "r8", "r8")]  # downstream dedupes (and compacts) by key


def test_the_input_is_an_at_least_once_consumer_group():
    stream = make_broker("kafka://broker-1:9092", TOPICS, group="gridflow-stream", consumer="c", redeliver_seconds=30)
    asked = []
    subscriber = stream.broker.subscriber

    def record(*topics, **options):
        asked.append((topics, options))
        return subscriber(*topics, **options)

    stream.broker.subscriber = record
    stream.consume(lambda bodies: None)
    ((topics, options),) = asked
    assert [t.name for t in topics] == [TOPICS.input]
    assert options["group_id"] == "gridflow-stream"
    assert options["ack_policy"] is AckPolicy.NACK_ON_ERROR  # commit after processing, seek back on error
    assert options["batch"] is True and options["max_records"] == BATCH  # one model call per batch
    assert options["auto_offset_reset"] == "earliest"  # a new group reads what was sent before it


def test_a_failing_message_is_handed_back_and_a_processed_one_committed(handler, monkeypatch):
    from faststream.kafka.message import KafkaAckableMessage

    settled: list[str] = []
    ack, nack = KafkaAckableMessage.ack, KafkaAckableMessage.nack

    async def record_ack(self):
        settled.append("commit")
        await ack(self)

    async def record_nack(self):
        settled.append("seek back")
        await nack(self)

    monkeypatch.setattr(KafkaAckableMessage, "ack", record_ack)
    monkeypatch.setattr(KafkaAckableMessage, "nack", record_nack)
    stream = kafka(handler)
    scores = stream.collect(TOPICS.output)
    real_engine = handler.engine

    async def run() -> None:
        async with TestKafkaBroker(stream.broker) as broker:
            handler.engine = make_engine("sqlite://")  # the warehouse cannot take the write
            with pytest.raises(OperationalError):  # the in-memory broker re-raises what Kafka would retry
                await broker.publish(reading_body("r1", 10.0), TOPICS.input)
            handler.engine = real_engine
            await broker.publish(reading_body("r1", 10.0), TOPICS.input)  # the redelivery

    asyncio.run(run())
    assert settled == ["seek back", "commit"]
    assert [json.loads(m.body)["reading_id"] for m in scores] == ["r1"]  # nothing went out for the failure
