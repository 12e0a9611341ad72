"""Stream fixtures without any service: a stand-in champion, a SQLite warehouse with the score table,
and a handler recording what it published and announced."""

from __future__ import annotations

import json

import pytest

from gridflow.serving.holder import ModelHolder, Served
from gridflow.streaming.handler import ReadingHandler, Topics
from gridflow.transformers.health_model import MEASURED
from gridflow.warehouse.engine import make_engine
from gridflow.warehouse.tables import asset_health_score

MODEL = "transformer_health"
TOPICS = Topics("transformer.readings", "transformer.health", "transformer.readings.dlq")


class HydrogenModel:
    """Answers hydrogen / 10 as the health index (plus the version's offset), so tests choose the score."""

    def __init__(self, offset: float = 0.0) -> None:
        self.offset = offset
        self.calls = 0

    def predict(self, frame):
        self.calls += 1
        return frame["hydrogen_ppm"].to_numpy() / 10 + self.offset


class Champions:
    """A registry stand-in whose champion version the test moves."""

    def __init__(self) -> None:
        self.version: str | None = "1"

    def resolve(self, name: str) -> str | None:
        return self.version

    def load(self, name: str, version: str) -> Served:
        return Served(name, version, HydrogenModel(offset=100.0 * (int(version) - 1)))


def reading_body(rid: str, hydrogen: float, asset: str | None = None) -> bytes:
    payload = {"reading_id": rid, "asset_id": asset or f"A-{rid}", **{name: 1.0 for name in MEASURED},
               "hydrogen_ppm": hydrogen}
    return json.dumps(payload).encode()


@pytest.fixture
def engine(tmp_path):
    eng = make_engine(f"sqlite:///{tmp_path / 'warehouse.db'}")
    asset_health_score.metadata.create_all(eng, tables=[asset_health_score])
    yield eng
    eng.dispose()


@pytest.fixture
def champions() -> Champions:
    return Champions()


@pytest.fixture
def holder(champions) -> ModelHolder:
    holder = ModelHolder([MODEL], champions.resolve, champions.load)
    holder.refresh()
    return holder


class Recorded:
    """What a handler sent: (topic, body, key) per publish, and the announced events."""

    def __init__(self) -> None:
        self.published: list[tuple[str, bytes, str]] = []
        self.announced = []

    async def publish(self, topic: str, body: bytes, key: str) -> None:
        self.published.append((topic, body, key))

    def announce(self, batch) -> bool:
        self.announced.extend(batch)
        return True

    def on(self, topic: str) -> list[dict]:
        return [json.loads(body) for t, body, _ in self.published if t == topic]


@pytest.fixture
def recorded() -> Recorded:
    return Recorded()


@pytest.fixture
def handler(holder, engine, recorded) -> ReadingHandler:
    return ReadingHandler(holder=holder, engine=engine, publish=recorded.publish, topics=TOPICS, model=MODEL,
                          threshold=50.0, source="kafka://broker:9092/transformer.readings",
                          consumer="gridflow-stream@test", announce=recorded.announce)
