"""`gridflow stream` wired from the settings: the champion holder (its poller, and its event
listener as in the scoring API), the warehouse, the broker of `GRIDFLOW_STREAM__BROKER_URL` and the
handler; and the publisher of reading files (`gridflow stream publish`)."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from gridflow.config import section
from gridflow.serving.champion_events import ChampionListener
from gridflow.serving.holder import ModelHolder, Poller
from gridflow.streaming.brokers import BrokerUnavailable, StreamBroker, make_broker, public_url
from gridflow.streaming.handler import ReadingHandler, Topics
from gridflow.streaming.messages import parse_reading, reading_message
from gridflow.usecases.configs import StreamConfig, TransformerHealthConfig

log = logging.getLogger("gridflow.streaming")
# Log "still waiting for a champion" this often, not on every check.
_WAIT_LOG_SECONDS = 30.0
HEARTBEAT_SECONDS = 10.0


def stream_config() -> StreamConfig:
    """The stream's settings (`GRIDFLOW_STREAM__*`)."""
    return section("stream", StreamConfig)


def topics_of(config: StreamConfig) -> Topics:
    """Input, output and dead-letter topics of `config`."""
    return Topics(config.input_topic, config.output_topic, config.dead_letters)


def consumer_name(config: StreamConfig) -> str:
    """This consumer as named in dead letters and Redis' consumer group: group and host."""
    return f"{config.group}@{socket.gethostname()}"


def broker_for(config: StreamConfig) -> StreamBroker:
    """The configured broker with the stream's topics."""
    return make_broker(config.broker_url, topics_of(config), group=config.group, consumer=consumer_name(config),
                       redeliver_seconds=config.redeliver_seconds)


async def wait_for_champion(holder: ModelHolder, model: str) -> None:
    """Wait until a version of `model` is loaded: a fresh stack has none until its first retrain,
    and a message read before would only be handed back."""
    next_log = 0.0
    while holder.get(model) is None:
        if time.monotonic() >= next_log:
            log.info("waiting for a champion of %s (train one with `gridflow retrain %s`)", model, model)
            next_log = time.monotonic() + _WAIT_LOG_SECONDS
        await asyncio.sleep(0.2)


@dataclass
class Consumer:
    """Everything one running `gridflow stream` holds."""

    config: StreamConfig
    broker: StreamBroker
    handler: ReadingHandler
    poller: Poller
    listener: ChampionListener | None = None  # swaps on a promotion/rollback event, before the next poll
    _heartbeat: asyncio.Task | None = None

    async def startup(self) -> None:
        """Start following the champion (polling, and its events when Prefect is configured, as the
        API does) and wait for a loaded version before any message is read."""
        if self.config.heartbeat_file:
            self._heartbeat = asyncio.create_task(_beat(Path(self.config.heartbeat_file)))
        self.poller.start()
        if self.listener is not None:
            self.listener.start()
        await wait_for_champion(self.handler.holder, self.config.model)
        served = self.handler.holder.get(self.config.model)
        log.info("scoring with %s v%s: %s -> %s (dead letters: %s) on %s", served.name, served.version,
                 self.config.input_topic, self.config.output_topic, self.config.dead_letters,
                 public_url(self.config.broker_url))

    def shutdown(self) -> None:
        """Stop polling the registry and the heartbeat, and log what was done."""
        if self._heartbeat is not None:
            self._heartbeat.cancel()
        self.poller.stop()
        if self.listener is not None:
            self.listener.stop()
        log.info("stream consumer stopped: %s", dict(self.handler.counts))


async def _beat(path: Path) -> None:
    # A container health check cannot ask a broker consumer anything: it reads this file's age.
    path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        path.touch()
        await asyncio.sleep(HEARTBEAT_SECONDS)


def build_consumer(config: StreamConfig, holder: ModelHolder | None = None) -> Consumer:
    """The consumer of `config` on the process's warehouse and MLflow registry (or `holder`)."""
    from gridflow.runtime import mlflow_ready, warehouse
    from gridflow.serving.registry_source import registry_holder

    if holder is None:
        mlflow_ready()
        holder = registry_holder([config.model])
    broker = broker_for(config)
    handler = ReadingHandler(
        holder=holder,
        engine=warehouse(),
        publish=broker.publish,
        topics=broker.topics,
        model=config.model,
        threshold=section("transformer_health", TransformerHealthConfig).attention_threshold,
        source=f"{public_url(config.broker_url).rstrip('/')}/{config.input_topic}",
        consumer=consumer_name(config),
    )
    broker.consume(handler.handle_batch, config.retry_seconds)
    listener = ChampionListener(holder) if os.environ.get("PREFECT_API_URL") else None
    return Consumer(config, broker, handler, Poller(holder, config.poll_seconds), listener)


def run(config: StreamConfig) -> dict[str, int]:
    """Consume until SIGINT/SIGTERM; returns the counts of what was done."""
    consumer = build_consumer(config)
    app = consumer.broker.app(on_startup=[consumer.startup], on_shutdown=[consumer.shutdown])
    asyncio.run(app.run())
    return dict(consumer.handler.counts)


def file_messages(path: Path, limit: int | None = None) -> list[bytes]:
    """The reading messages of a transformer health-index CSV (`data/transformer/...`), in row order."""
    from gridflow.sources.transformer_dga import parse_transformer_csv

    frame = parse_transformer_csv(path).frame
    rows = frame.to_dict(orient="records")
    return [reading_message(row) for row in rows[:limit]]


async def publish_messages(broker: StreamBroker, bodies: Iterable[bytes]) -> int:
    """Send every body to the input topic, keyed by its reading id; returns the count."""
    topic = broker.topics.input
    sent = 0
    await broker.start()
    try:
        for body in bodies:
            try:
                await broker.publish(topic, body, key=_key(body))
            except Exception as exc:  # each client library raises its own errors
                raise BrokerUnavailable(f"publishing to {topic} failed after {sent} messages: "
                                        f"{type(exc).__name__}: {exc}") from exc
            sent += 1
    finally:
        await broker.stop()
    return sent


def _key(body: bytes) -> str:
    try:
        return parse_reading(body).reading_id
    except ValueError:  # a deliberately malformed message (tests, demos) has no reading id
        return "malformed"
