"""Messages through the stream, whatever the broker: parse, score, store, publish, announce.

Messages come one at a time (Redis, RabbitMQ) or as the batch a broker delivered (Kafka, NATS):
a batch costs one model call and one transaction. The broker adapter acknowledges only after
`handle_batch` returned, and delivers again when it raised, so every step here is safe to repeat:

- a malformed message is published to the dead-letter topic and counts as handled (acked): one
  bad sender never blocks the readings behind it;
- the score is stored first-write-wins, and what is published and announced is the STORED row,
  so a redelivery after a hot swap repeats the first answer instead of contradicting it;
- the score is published keyed by reading id (Kafka key, NATS `Nats-Msg-Id`, AMQP `message_id`,
  a header everywhere), so a repeat is recognisable downstream;
- a degraded unit's event is sent on every delivery, not only the first: a crash after the store
  and before the event would otherwise lose it for good. Its id is derived from the reading id
  (`gridflow.streaming.alarms`), so repeats are dropped by Prefect; the handler waits until the
  events have left the process before returning, so the ack never overtakes them.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal, Protocol

from sqlalchemy.engine import Engine

from gridflow import events
from gridflow.errors import GridflowError
from gridflow.serving.holder import ModelHolder, Served
from gridflow.streaming.alarms import degraded_event
from gridflow.streaming.messages import (
    MalformedMessage,
    Reading,
    Score,
    dead_letter_message,
    parse_reading,
    score_message,
)
from gridflow.streaming.scoring import score_readings
from gridflow.streaming.sink import Stored, write_scores

log = logging.getLogger("gridflow.streaming")

KEY_HEADER = "reading-id"  # every published message carries its reading id here too


class Publish(Protocol):
    """Send `body` to `topic`, keyed by `key`, and return once the broker has it."""

    def __call__(self, topic: str, body: bytes, key: str) -> Awaitable[None]: ...


class NoChampion(GridflowError):
    """No version of the model is loaded yet: the message is retried later, never dropped."""


@dataclass(frozen=True)
class Topics:
    """Where readings come from, where scores go, where malformed messages go."""

    input: str
    output: str
    dead_letter: str


@dataclass(frozen=True)
class Outcome:
    """What happened to one message."""

    status: Literal["scored", "dead-letter"]
    reading_id: str | None = None
    new: bool = False  # this delivery stored the score (False: a redelivery)
    degraded: bool = False
    announced: bool = False
    error: str | None = None


def announce(batch: Sequence[events.Event]) -> bool:
    """Emit every event and wait until they have been sent; False when this process emits no events."""
    sent = [events.emit(event) for event in batch]
    if not any(sent):
        return False
    events.flush()
    return True


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class ReadingHandler:
    """The stream consumer's pipeline, per message or per delivered batch (see the module docstring)."""

    holder: ModelHolder
    engine: Engine
    publish: Publish
    topics: Topics
    model: str
    threshold: float
    source: str  # broker and input topic, stored with each score
    consumer: str  # who refused a dead letter (group and host)
    announce: Callable[[Sequence[events.Event]], bool] = announce
    clock: Callable[[], datetime] = _now
    counts: Counter = field(default_factory=Counter)
    _events_off_logged: bool = False

    async def handle(self, body: bytes) -> Outcome:
        """Process one message body; raises (so the broker redelivers) on anything but a malformed message."""
        (outcome,) = await self.handle_batch([body])
        return outcome

    async def handle_batch(self, bodies: Sequence[bytes]) -> list[Outcome]:
        """Process message bodies delivered together, one outcome each in order: one model call, one
        transaction, then the publishes and the announcements. Raises (so the broker redelivers the
        whole batch) on anything but malformed messages; the repeats are harmless (module docstring)."""
        readings: list[tuple[int, Reading]] = []
        outcomes: dict[int, Outcome] = {}
        letters = []
        for i, body in enumerate(bodies):
            try:
                readings.append((i, parse_reading(body)))
            except MalformedMessage as exc:
                letters.append(self._dead_letter(body, exc))
                outcomes[i] = Outcome("dead-letter", error=str(exc))
        await asyncio.gather(*letters)
        if readings:
            served = self.holder.get(self.model)  # taken once: the batch is scored by one version
            if served is None:
                raise NoChampion(f"no champion of {self.model!r} is loaded yet")
            # The model and the warehouse block: off the event loop, so broker heartbeats keep going.
            stored = await asyncio.to_thread(self._score_and_store, served, [r for _, r in readings])
            by_id = {s.score.reading_id: s for s in stored}
            await asyncio.gather(*(self.publish(self.topics.output, score_message(s.score), key=s.score.reading_id)
                                   for s in stored))
            degraded = [s.score for s in stored if s.score.degraded]
            announced = bool(degraded) and await asyncio.to_thread(self._announce, degraded)
            first = set()
            for i, reading in readings:
                kept = by_id[reading.reading_id]
                # A reading id twice in one batch: its second copy is a redelivery of the first.
                new = kept.new and reading.reading_id not in first
                first.add(reading.reading_id)
                outcomes[i] = Outcome("scored", reading.reading_id, new, kept.score.degraded,
                                      announced and kept.score.degraded)
                self.counts["scored" if new else "redelivered"] += 1
                self.counts["degraded"] += int(new and kept.score.degraded)
        return [outcomes[i] for i in range(len(bodies))]

    def _dead_letter(self, body: bytes, error: MalformedMessage) -> Awaitable[None]:
        self.counts["dead-letter"] += 1
        log.warning("malformed message sent to %s: %s", self.topics.dead_letter, error)
        letter = dead_letter_message(body, error, self.consumer, self.clock())
        return self.publish(self.topics.dead_letter, letter, key=_dead_letter_key(body))

    def _score_and_store(self, served: Served, readings: list[Reading]) -> list[Stored]:
        scores = score_readings(served, readings, self.threshold, self.clock())
        with self.engine.begin() as conn:
            return write_scores(conn, scores, self.source)

    def _announce(self, scores: list[Score]) -> bool:
        sent = self.announce([degraded_event(score) for score in scores])
        if not sent and not self._events_off_logged:
            self._events_off_logged = True
            log.warning("this process emits no Prefect events (no API configured): degraded units are "
                        "stored and published but not announced")
        return sent


def _dead_letter_key(body: bytes) -> str:
    # A malformed message may have no usable id: its content hash still keys repeats together.
    return "malformed-" + hashlib.sha256(body).hexdigest()[:32]
