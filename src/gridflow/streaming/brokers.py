"""The FastStream adapter (the only module importing FastStream): one broker per URL scheme, with
the stream's topics declared durable, a keyed publish, and an at-least-once subscriber.

    kafka://host:9092[,host2:9092]   Kafka (production)
    nats://host:4222                 NATS JetStream
    redis://host:6379[/db]           Redis Streams
    amqp://user:pass@host:5672/      RabbitMQ

At-least-once, per broker: messages are acknowledged only after the handler returned (FastStream
`AckPolicy.NACK_ON_ERROR`); a handler error is logged, paused on for `retry_seconds` (no hot loop
on a broken warehouse) and the messages are handed back. Kafka and NATS deliver batches of up to
`BATCH` (one model call, one transaction), Redis and RabbitMQ one message at a time:

- Kafka: consumer group `group`, auto-commit off, offsets committed after each processed batch;
  an error seeks back to the batch's first record. A new group starts at the earliest offset.
- NATS: a JetStream stream per topic (created when missing) and a durable pull consumer `group`
  with explicit ack; an unacknowledged message is redelivered after `redeliver_seconds` (ack
  wait), a failed one at once (nak). Scores carry `Nats-Msg-Id` = reading id, so the output
  stream drops a repeat within its duplicate window.
- Redis: a stream per topic and a consumer group `group` created at the stream's start (`0`), so
  readings sent before the first consumer ran are read too; XACK after processing. Entries left
  pending by a crashed consumer are claimed (XAUTOCLAIM) once idle for `redeliver_seconds` by a
  second subscriber on the same group (Redis 7 has no XREADGROUP CLAIM).
- RabbitMQ: durable queues, persistent messages, publisher confirms, manual ack after processing
  (prefetch `PREFETCH`); a failed message is requeued, an unacknowledged one comes back when the
  consumer's connection drops.
"""

from __future__ import annotations

import asyncio
import logging
import re
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from faststream import AckPolicy, Context, FastStream

from gridflow.errors import ConfigError, GridflowError
from gridflow.streaming.handler import KEY_HEADER, Topics

log = logging.getLogger("gridflow.streaming")

SCHEMES = {"kafka": "kafka", "nats": "nats", "redis": "redis", "rediss": "redis", "amqp": "rabbit", "amqps": "rabbit"}
# Messages fetched ahead of processing: small, so a crash leaves few readings to redeliver.
PREFETCH = 16
# Readings a batch-capable broker (Kafka, NATS) hands over at once: one model call, one transaction.
BATCH = 64
# How long a NATS output stream remembers a `Nats-Msg-Id` to drop a repeat.
DUPLICATE_WINDOW_SECONDS = 600.0
PUBLISH_TIMEOUT_SECONDS = 10.0
CONNECT_TIMEOUT_SECONDS = 30.0

HandleBatch = Callable[[Sequence[bytes]], Awaitable[Any]]
Run = Callable[[Sequence[bytes]], Awaitable[None]]
_MESSAGE = Context("message")  # FastStream injects the broker's message object here


@dataclass(frozen=True)
class Received:
    """One message read back from a topic: its body and the reading id it was keyed by."""

    body: bytes
    key: str | None


class BrokerUnavailable(GridflowError):
    """The broker cannot be reached (or refused the connection)."""


def broker_kind(url: str) -> str:
    """`kafka`, `nats`, `redis` or `rabbit` from the URL's scheme; ConfigError for any other."""
    scheme = urlsplit(url).scheme.lower()
    if scheme not in SCHEMES:
        raise ConfigError(f"broker URL {public_url(url)!r}: scheme must be one of {', '.join(sorted(SCHEMES))}")
    return SCHEMES[scheme]


def public_url(url: str) -> str:
    """The URL without its user and password: what logs and the warehouse may keep."""
    parts = urlsplit(url)
    # Host and port as written (Kafka lists several bootstrap servers), minus any `user:pass@`.
    netloc = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def stream_name(topic: str) -> str:
    """The JetStream stream holding `topic` (stream names allow no dots or wildcards)."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", topic)


async def _raw(message: Any) -> bytes:
    # The body as sent: a malformed message must reach the handler (and the dead letter) as is,
    # not fail inside FastStream's JSON decoding before any handler runs.
    return message.body


class StreamBroker(ABC):
    """A FastStream broker wired for the stream: durable topics, keyed publish, at-least-once input."""

    kind: str

    def __init__(self, url: str, topics: Topics, *, group: str, consumer: str, redeliver_seconds: float) -> None:
        self.url = url
        self.topics = topics
        self.group = group
        self.consumer = consumer
        self.redeliver_seconds = redeliver_seconds
        self.broker: Any = self._make_broker()

    @abstractmethod
    def _make_broker(self) -> Any: ...

    @abstractmethod
    def _subscribe(self, run: Run) -> None: ...

    @abstractmethod
    def _reader(self, topic: str, handler: Callable[..., Awaitable[None]]) -> None: ...

    @abstractmethod
    async def publish(self, topic: str, body: bytes, key: str) -> None:
        """Send `body` to `topic` keyed by reading id `key`; returns once the broker accepted it."""

    async def connect(self) -> Any:
        """Connect (once); a broker unreachable for CONNECT_TIMEOUT_SECONDS is a BrokerUnavailable
        naming the URL without secrets (a supervisor restarts the process; clients retry inside)."""
        try:
            return await asyncio.wait_for(self.broker.connect(), CONNECT_TIMEOUT_SECONDS)
        except TimeoutError:
            raise BrokerUnavailable(f"cannot connect to {self.kind} at {public_url(self.url)}: "
                                    f"no answer within {CONNECT_TIMEOUT_SECONDS:.0f} s") from None
        except Exception as exc:  # each client library raises its own connection errors
            raise BrokerUnavailable(f"cannot connect to {self.kind} at {public_url(self.url)}: "
                                    f"{type(exc).__name__}: {exc}") from exc

    async def prepare(self) -> None:
        """Connect and create what must exist before the subscribers start (streams, groups, queues)."""
        await self.connect()
        try:
            await self._declare()
        except Exception as exc:  # e.g. a Redis client connects lazily, so its first command fails here
            raise BrokerUnavailable(f"cannot prepare the topics on {self.kind} at {public_url(self.url)}: "
                                    f"{type(exc).__name__}: {exc}") from exc

    async def _declare(self) -> None:
        return None  # Kafka and NATS declare through FastStream when the broker starts

    def consume(self, handle: HandleBatch, retry_seconds: float = 1.0) -> None:
        """Run `handle` on the messages of the input topic (a batch where the broker delivers one),
        at least once (see the module docstring)."""

        async def run(bodies: Sequence[bytes]) -> None:
            try:
                await handle(bodies)
            except Exception as exc:
                log.error("processing %d message(s) of %s failed, they will be delivered again: %s",
                          len(bodies), self.topics.input, exc, exc_info=True)
                await asyncio.sleep(retry_seconds)
                raise

        self._subscribe(run)

    def collect(self, topic: str) -> list[Received]:
        """Read `topic` from its start into the returned list (tests, benchmarks, demos); register
        before `start`. A RabbitMQ queue is consumed (its messages leave the queue)."""
        received: list[Received] = []

        async def on_message(body: bytes, message: Any = _MESSAGE) -> None:
            received.append(Received(body, (message.headers or {}).get(KEY_HEADER)))

        self._reader(topic, on_message)
        return received

    async def start(self) -> None:
        """Connect, declare, and start every subscriber."""
        await self.prepare()
        await self.broker.start()

    async def stop(self) -> None:
        """Stop the subscribers and close the connection."""
        await self.broker.stop()

    def app(self, on_startup: Sequence[Callable[[], Any]] = (), on_shutdown: Sequence[Callable[[], Any]] = ()) -> Any:
        """A FastStream application running this broker until SIGINT/SIGTERM."""
        # Connecting first: a wrong URL fails at once, not after the wait for a champion.
        return FastStream(self.broker, on_startup=[self.prepare, *on_startup], on_shutdown=list(on_shutdown))

    async def __aenter__(self) -> StreamBroker:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()


class KafkaStream(StreamBroker):
    """Kafka: consumer group with commit after processing; scores keyed by reading id."""

    kind = "kafka"

    def _make_broker(self) -> Any:
        from faststream.kafka import KafkaBroker

        servers = urlsplit(self.url).netloc.rsplit("@", 1)[-1].split(",")
        # acks=all + idempotence: an accepted score survives a broker failover and a producer
        # retry does not write it twice.
        return KafkaBroker(servers, acks="all", enable_idempotence=True, log_level=logging.DEBUG)

    def _subscribe(self, run: Run) -> None:
        from faststream.kafka import Topic

        subscriber = self.broker.subscriber(
            Topic(self.topics.input), group_id=self.group, auto_offset_reset="earliest", batch=True,
            max_records=BATCH, batch_timeout_ms=200, ack_policy=AckPolicy.NACK_ON_ERROR, decoder=_raw)

        @subscriber
        async def on_batch(bodies: list[bytes]) -> None:
            """Transformer readings, scored by the champion (AsyncAPI description)."""
            await run(bodies)

    def _reader(self, topic: str, handler: Callable[..., Awaitable[None]]) -> None:
        self.broker.subscriber(topic, auto_offset_reset="earliest", decoder=_raw)(handler)

    async def publish(self, topic: str, body: bytes, key: str) -> None:
        """Send keyed by reading id (compaction and downstream dedupe by key); waits for the ack."""
        await self.broker.publish(body, topic, key=key.encode(), headers={KEY_HEADER: key}, correlation_id=key)


class NatsStream(StreamBroker):
    """NATS JetStream: a durable pull consumer with explicit ack; scores deduplicated by Nats-Msg-Id."""

    kind = "nats"

    def _make_broker(self) -> Any:
        from faststream.nats import NatsBroker

        # Reconnect forever once running: nats-py's default gives up after 60 tries (2 min) and
        # would leave a live process that consumes nothing. The first connect is bounded by `connect`.
        broker = NatsBroker(self.url, max_reconnect_attempts=-1, log_level=logging.DEBUG)
        # Publishers declare every topic's stream when the broker starts: readings sent before any
        # consumer ran, and scores before anyone reads them, are kept.
        for topic in (self.topics.input, self.topics.output, self.topics.dead_letter):
            broker.publisher(topic, stream=self._stream(topic))
        return broker

    def _stream(self, topic: str) -> Any:
        from faststream.nats import JStream

        return JStream(stream_name(topic), subjects=[topic], duplicate_window=DUPLICATE_WINDOW_SECONDS)

    def _subscribe(self, run: Run) -> None:
        from faststream.nats import AckPolicy as JsAck
        from faststream.nats import ConsumerConfig, DeliverPolicy, PullSub

        config = ConsumerConfig(ack_policy=JsAck.EXPLICIT, ack_wait=self.redeliver_seconds,
                                deliver_policy=DeliverPolicy.ALL, max_ack_pending=4 * BATCH)
        # A pull fetch returns at once with what is there (up to BATCH), so a lone reading waits for nobody.
        subscriber = self.broker.subscriber(
            self.topics.input, stream=self._stream(self.topics.input), durable=stream_name(self.group),
            config=config, pull_sub=PullSub(batch_size=BATCH, timeout=1.0, batch=True),
            ack_policy=AckPolicy.NACK_ON_ERROR, decoder=_raw)

        @subscriber
        async def on_batch(bodies: list[bytes]) -> None:
            """Transformer readings, scored by the champion (AsyncAPI description)."""
            await run(bodies)

    def _reader(self, topic: str, handler: Callable[..., Awaitable[None]]) -> None:
        from faststream.nats import DeliverPolicy

        self.broker.subscriber(topic, stream=self._stream(topic), deliver_policy=DeliverPolicy.ALL,
                               decoder=_raw)(handler)

    async def publish(self, topic: str, body: bytes, key: str) -> None:
        """JetStream publish (waits for the stream's ack); a score carries `Nats-Msg-Id`."""
        headers = {KEY_HEADER: key}
        if topic == self.topics.output:
            headers["Nats-Msg-Id"] = key  # the output stream drops a repeated score
        await self.broker.publish(body, topic, headers=headers, correlation_id=key, stream=stream_name(topic),
                                  timeout=PUBLISH_TIMEOUT_SECONDS)


class RedisStream(StreamBroker):
    """Redis Streams: a consumer group read from the stream's start, XACK after processing, and
    idle pending entries claimed back."""

    kind = "redis"

    def _make_broker(self) -> Any:
        from faststream.redis import RedisBroker

        return RedisBroker(self.url, log_level=logging.DEBUG)

    def _subscribe(self, run: Run) -> None:
        from faststream.redis import StreamSub

        # One entry at a time: FastStream's Redis batches re-encode bodies as JSON, and a dead
        # letter must keep the message exactly as sent.
        async def on_message(body: bytes) -> None:
            """A transformer reading, scored by the champion (AsyncAPI description)."""
            await run([body])

        fresh = StreamSub(self.topics.input, group=self.group, consumer=self.consumer, max_records=PREFETCH,
                          polling_interval=200)
        # A second reader of the same group claims what a crashed consumer left pending.
        stale = StreamSub(self.topics.input, group=self.group, consumer=self.consumer,
                          min_idle_time=int(self.redeliver_seconds * 1000), polling_interval=500)
        for stream in (fresh, stale):
            self.broker.subscriber(stream=stream, ack_policy=AckPolicy.NACK_ON_ERROR, decoder=_raw)(on_message)

    def _reader(self, topic: str, handler: Callable[..., Awaitable[None]]) -> None:
        from faststream.redis import StreamSub

        self.broker.subscriber(stream=StreamSub(topic, last_id="0"), decoder=_raw)(handler)

    async def publish(self, topic: str, body: bytes, key: str) -> None:
        """XADD to the topic's stream, the reading id in a header."""
        await self.broker.publish(body, stream=topic, headers={KEY_HEADER: key}, correlation_id=key)

    async def _declare(self) -> None:
        # The input stream's group starts at its first entry: FastStream would start it at `$` (the
        # end) and miss every reading sent before the first consumer ran.
        from redis.exceptions import ResponseError

        client = await self.connect()
        try:
            await client.xgroup_create(self.topics.input, self.group, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise


class RabbitStream(StreamBroker):
    """RabbitMQ: durable queues, persistent messages, manual ack after processing."""

    kind = "rabbit"

    def _make_broker(self) -> Any:
        from faststream.rabbit import Channel, RabbitBroker

        return RabbitBroker(self.url, default_channel=Channel(prefetch_count=PREFETCH), log_level=logging.DEBUG)

    def _queue(self, topic: str) -> Any:
        from faststream.rabbit import RabbitQueue

        return RabbitQueue(topic, durable=True)

    def _subscribe(self, run: Run) -> None:
        # RabbitMQ delivers one message at a time (up to PREFETCH unacknowledged in flight).
        @self.broker.subscriber(self._queue(self.topics.input), ack_policy=AckPolicy.NACK_ON_ERROR, decoder=_raw)
        async def on_message(body: bytes) -> None:
            """A transformer reading, scored by the champion (AsyncAPI description)."""
            await run([body])

    def _reader(self, topic: str, handler: Callable[..., Awaitable[None]]) -> None:
        self.broker.subscriber(self._queue(topic), decoder=_raw)(handler)

    async def publish(self, topic: str, body: bytes, key: str) -> None:
        """Persistent publish to the topic's queue (confirmed), `message_id` = reading id."""
        await self.broker.publish(body, queue=topic, persist=True, message_id=key, correlation_id=key,
                                  headers={KEY_HEADER: key}, timeout=PUBLISH_TIMEOUT_SECONDS)

    async def _declare(self) -> None:
        # Durable queues, declared before anything is sent: a message to a missing queue is dropped.
        for topic in (self.topics.input, self.topics.output, self.topics.dead_letter):
            await self.broker.declare_queue(self._queue(topic))


_KINDS: dict[str, type[StreamBroker]] = {"kafka": KafkaStream, "nats": NatsStream, "redis": RedisStream,
                                         "rabbit": RabbitStream}


def make_broker(url: str, topics: Topics, *, group: str, consumer: str, redeliver_seconds: float) -> StreamBroker:
    """The stream broker for `url` (see the module docstring for the schemes)."""
    return _KINDS[broker_kind(url)](url, topics, group=group, consumer=consumer, redeliver_seconds=redeliver_seconds)
