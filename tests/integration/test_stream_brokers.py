"""`gridflow stream` on the real brokers of this machine (NATS JetStream, Redis Streams, RabbitMQ;
Kafka's wiring runs on FastStream's in-memory broker in tests/unit/streaming), with a real MLflow
champion of transformer_health, a real warehouse and the session's Prefect server:

- the same handler scores 198 shipped readings exactly once and dead-letters 2 malformed messages
  on each broker, and the degraded units' events reach Prefect on their asset resource;
- a `gridflow stream` process SIGKILLed mid-stream and restarted loses nothing and duplicates
  nothing: every reading id once in `asset_health_score`, every one on the output topic (a repeat
  on the wire only under its own reading id).

Every run uses its own topics, group and ids, and removes its streams, keys and queues.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

pytestmark = pytest.mark.integration

SHIPPED = Path(__file__).resolve().parents[2] / "data" / "transformer" / "transformer_health_index.csv"
MODEL = "transformer_health"
BROKERS = {
    "nats": os.environ.get("GRIDFLOW_TEST_NATS_URL", "nats://127.0.0.1:4222"),
    "redis": os.environ.get("GRIDFLOW_TEST_REDIS_URL", "redis://127.0.0.1:6379"),
    "rabbit": os.environ.get("GRIDFLOW_TEST_RABBIT_URL", "amqp://guest:guest@127.0.0.1:5672/"),
}
READINGS = 198
MALFORMED = [b'{"reading_id": "bad-1", "asset_id": "TX-X", "hydrogen_ppm": "lots"}', b"\x00\x01 not json"]


@pytest.fixture(scope="module")
def champion_home(prefect_server, tmp_path_factory):
    """A gridflow home whose MLflow store has a transformer_health champion, trained once per module
    (a 40-tree forest, 1x2 CV: the stream is under test, not the model)."""
    from prefect.settings import PREFECT_API_URL, PREFECT_LOGGING_TO_API_ENABLED, temporary_settings

    from gridflow import runtime
    from gridflow.config import get_settings, reset_settings
    from gridflow.prefect_env import prefect_environment

    home = tmp_path_factory.mktemp("stream") / "gridflow"
    env = {
        "GRIDFLOW_HOME": str(home),
        "GRIDFLOW_PREFECT_API_URL": prefect_server,
        "GRIDFLOW_WEATHER__SITES": "[]",
        "GRIDFLOW_TRANSFORMER_HEALTH__CV_REPEATS": "1",
        "GRIDFLOW_TRANSFORMER_HEALTH__CV_FOLDS": "2",
        "GRIDFLOW_TRANSFORMER_HEALTH__ESTIMATOR_PARAMS": json.dumps({"n_estimators": 40}),
    }
    with pytest.MonkeyPatch.context() as mp:
        for key, value in env.items():
            mp.setenv(key, value)
        reset_settings()
        runtime.reset()
        env |= prefect_environment(get_settings(), prefect_server)
        for key, value in env.items():
            mp.setenv(key, value)
        with temporary_settings(updates={PREFECT_API_URL: prefect_server, PREFECT_LOGGING_TO_API_ENABLED: False}):
            from flows.ingest_transformers import ingest_transformer_readings
            from flows.retrain import retrain

            assert ingest_transformer_readings(str(SHIPPED)).status == "loaded"
            result = retrain(model=MODEL, trigger="test: stream champion")
            assert result.decision.action == "promote", result.decision.reason
            yield env
    reset_settings()
    runtime.reset()


@pytest.fixture
def stream_env(champion_home, monkeypatch, tmp_path):
    """The champion's stores with a fresh warehouse for this test's scores; yields (env, run id)."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from gridflow import runtime
    from gridflow.config import reset_settings

    run = uuid.uuid4().hex[:10]
    env = {**champion_home, "GRIDFLOW_WAREHOUSE_URL": f"sqlite:///{tmp_path / 'warehouse.db'}",
           "GRIDFLOW_STREAM__INPUT_TOPIC": f"gridflow.test.{run}.readings",
           "GRIDFLOW_STREAM__OUTPUT_TOPIC": f"gridflow.test.{run}.health",
           "GRIDFLOW_STREAM__GROUP": f"gridflow-test-{run}",
           "GRIDFLOW_STREAM__REDELIVER_SECONDS": "2",
           "GRIDFLOW_STREAM__POLL_SECONDS": "1",
           "GRIDFLOW_STREAM__RETRY_SECONDS": "0.2"}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    reset_settings()
    runtime.reset()
    with temporary_settings(updates={PREFECT_API_URL: champion_home["PREFECT_API_URL"]}):
        yield env, run
    reset_settings()
    runtime.reset()


def shipped_messages(run: str, count: int = READINGS) -> list[bytes]:
    """The first `count` shipped readings with this run's reading and asset ids."""
    from gridflow.streaming.consumer import file_messages

    out = []
    for body in file_messages(SHIPPED, count):
        payload = json.loads(body)
        payload["reading_id"] = f"{run}-{payload['reading_id']}"
        payload["asset_id"] = f"{run}-{payload['asset_id']}"
        out.append(json.dumps(payload).encode())
    return out


def stored_ids(warehouse_url: str) -> list[str]:
    from gridflow.warehouse.tables import asset_health_score

    engine = create_engine(warehouse_url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(select(asset_health_score.c.reading_id)).scalars())
    except Exception:  # the consumer has not created the table yet
        return []
    finally:
        engine.dispose()


def scored_count(warehouse_url: str) -> int:
    from gridflow.warehouse.tables import asset_health_score

    engine = create_engine(warehouse_url)
    try:
        with engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(asset_health_score)).scalar_one()
    except Exception:
        return 0
    finally:
        engine.dispose()


async def wait_for(check, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.1)


async def publish(config, bodies: list[bytes]) -> None:
    from gridflow.streaming.consumer import broker_for, publish_messages

    assert await publish_messages(broker_for(config), bodies) == len(bodies)


async def read_topics(config, kind: str, expect_scores: int, expect_letters: int, timeout: float = 60):
    """Everything on the output and dead-letter topics once the expected counts arrived."""
    from gridflow.streaming.consumer import broker_for

    reader = broker_for(config)
    scores, letters = reader.collect(config.output_topic), reader.collect(config.dead_letters)
    await reader.start()
    try:
        await wait_for(lambda: len({m.key for m in scores}) >= expect_scores and len(letters) >= expect_letters,
                       timeout, f"{expect_scores} scores and {expect_letters} dead letters on {kind}")
        await asyncio.sleep(0.5)  # anything extra (a duplicate) would show up now
    finally:
        await reader.stop()
    return list(scores), list(letters)


def degraded_events(run: str, since: datetime) -> list:
    from prefect.client.orchestration import get_client
    from prefect.events.filters import EventFilter, EventNameFilter, EventOccurredFilter, EventResourceFilter

    from gridflow import events

    wanted = EventFilter(
        occurred=EventOccurredFilter(since=since, until=datetime.now(UTC) + timedelta(minutes=5)),
        event=EventNameFilter(name=[events.ASSET_HEALTH_DEGRADED]),
        resource=EventResourceFilter(id_prefix=[events.asset_resource(f"{run}-")]),
    )
    with get_client(sync_client=True) as client:
        page = client.read_events(filter=wanted, limit=50)
        found = list(page.events)
        while page.next_page:
            page = client.read_events_page(page.next_page)
            found += page.events
    return found


async def cleanup(kind: str, config) -> None:
    """Remove the run's streams, keys and queues from the shared brokers."""
    from gridflow.streaming.brokers import stream_name

    topics = [config.input_topic, config.output_topic, config.dead_letters]
    with contextlib.suppress(Exception):
        if kind == "nats":
            import nats

            client = await nats.connect(BROKERS["nats"])
            for topic in topics:
                with contextlib.suppress(Exception):
                    await client.jetstream().delete_stream(stream_name(topic))
            await client.close()
        elif kind == "redis":
            from redis.asyncio import Redis

            client = Redis.from_url(BROKERS["redis"])
            await client.delete(*topics)
            await client.aclose()
        else:
            import aio_pika

            connection = await aio_pika.connect(BROKERS["rabbit"])
            channel = await connection.channel()
            for topic in topics:
                await channel.queue_delete(topic)
            await connection.close()


def check_outputs(run: str, scores, letters, expected: set[str]) -> None:
    """Every reading id on the output topic, each message keyed by its own reading id; the two
    malformed messages dead-lettered with their error (each message at least once)."""
    ids = [json.loads(m.body)["reading_id"] for m in scores]
    assert set(ids) == expected
    assert all(m.key == json.loads(m.body)["reading_id"] for m in scores)
    assert all(json.loads(m.body)["model_name"] == MODEL for m in scores)
    # A dead letter may repeat too (sent, then killed before the ack), under the same content key.
    refused = {json.loads(m.body)["message"]: m.key for m in letters}
    assert set(refused) == {b.decode("utf-8", errors="replace") for b in MALFORMED}
    assert len({(json.loads(m.body)["message"], m.key) for m in letters}) == len(MALFORMED)
    assert {json.loads(m.body)["field"] for m in letters} == {"hydrogen_ppm", None}


@pytest.mark.parametrize("kind", sorted(BROKERS))
def test_the_handler_scores_each_reading_once_on_a_real_broker(kind, stream_env, monkeypatch, request):
    from gridflow import runtime
    from gridflow.config import reset_settings
    from gridflow.streaming.consumer import build_consumer, stream_config

    _, run = stream_env
    if kind == "rabbit":  # one broker writes to PostgreSQL, the production warehouse
        url = request.getfixturevalue("postgres_schema_url")
        monkeypatch.setenv("GRIDFLOW_WAREHOUSE_URL", url)
        reset_settings()
        runtime.reset()
    monkeypatch.setenv("GRIDFLOW_STREAM__BROKER_URL", BROKERS[kind])
    reset_settings()
    config = stream_config()
    warehouse_url = os.environ["GRIDFLOW_WAREHOUSE_URL"]
    bodies = shipped_messages(run)
    expected = {json.loads(b)["reading_id"] for b in bodies}
    bodies[50:50] = MALFORMED[:1]
    bodies[120:120] = MALFORMED[1:]
    since = datetime.now(UTC) - timedelta(seconds=5)

    async def scenario():
        consumer = build_consumer(config)
        try:
            await consumer.startup()
            await consumer.broker.start()
            await publish(config, bodies)
            await wait_for(lambda: scored_count(warehouse_url) >= READINGS, 60, f"{READINGS} scores in the warehouse")
        finally:
            await consumer.broker.stop()
            consumer.shutdown()
        return consumer.handler.counts, await read_topics(config, kind, READINGS, len(MALFORMED))

    try:
        counts, (scores, letters) = asyncio.run(scenario())
    finally:
        asyncio.run(cleanup(kind, config))
    ids = stored_ids(warehouse_url)
    assert len(ids) == len(set(ids)) == READINGS and set(ids) == expected
    check_outputs(run, scores, letters, expected)
    assert counts["scored"] == READINGS and counts["dead-letter"] == len(MALFORMED)
    degraded = counts["degraded"]
    assert degraded > 0, "the shipped readings hold degraded units"
    deadline = time.monotonic() + 30
    while len(found := degraded_events(run, since)) < degraded and time.monotonic() < deadline:
        time.sleep(0.5)
    assert len({e.id for e in found}) == degraded  # one event per degraded reading, none lost
    assert all(e.resource.id.startswith(f"gridflow.asset.{run}-TX-") for e in found)
    assert all(e.payload["health_index"] >= e.payload["threshold"] for e in found)


def start_consumer(env: dict[str, str], log_path: Path) -> subprocess.Popen:
    log = log_path.open("ab")
    return subprocess.Popen([sys.executable, "-m", "gridflow_cli", "stream"], env={**os.environ, **env},
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def stop(process: subprocess.Popen, sig: int = signal.SIGTERM) -> int:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)
    try:
        return process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        return process.wait(timeout=10)


@pytest.mark.parametrize("kind", ["nats", "redis"])
def test_a_consumer_killed_mid_stream_loses_nothing_and_duplicates_nothing(kind, stream_env, tmp_path):
    from gridflow.streaming.consumer import stream_config

    env, run = stream_env
    env = {**env, "GRIDFLOW_STREAM__BROKER_URL": BROKERS[kind]}
    config = stream_config().model_copy(update={"broker_url": BROKERS[kind]})
    warehouse_url = env["GRIDFLOW_WAREHOUSE_URL"]
    total = 400
    bodies = shipped_messages(run, total)
    expected = {json.loads(b)["reading_id"] for b in bodies}
    bodies[10:10] = MALFORMED[:1]
    bodies[300:300] = MALFORMED[1:]
    log_path = tmp_path / "stream.log"

    try:
        asyncio.run(publish(config, bodies))  # a backlog: the consumer is killed while working through it
        first = start_consumer(env, log_path)
        try:
            asyncio.run(wait_for(lambda: scored_count(warehouse_url) >= 40 or first.poll() is not None, 90,
                                 "the first consumer to score some readings"))
            assert first.poll() is None, log_path.read_text()[-3000:]
        finally:
            stop(first, signal.SIGKILL)
        at_kill = scored_count(warehouse_url)
        assert 0 < at_kill < total, f"killed at {at_kill} of {total}: not mid-stream"

        second = start_consumer(env, log_path)
        try:
            asyncio.run(wait_for(lambda: scored_count(warehouse_url) >= total or second.poll() is not None, 90,
                                 "the restarted consumer to finish"))
            assert second.poll() is None, log_path.read_text()[-3000:]
            scores, letters = asyncio.run(read_topics(config, kind, total, len(MALFORMED)))
        finally:
            assert stop(second) == 0, log_path.read_text()[-3000:]  # SIGTERM: a clean shutdown
    finally:
        asyncio.run(cleanup(kind, config))
    ids = stored_ids(warehouse_url)
    assert len(ids) == len(set(ids)) == total and set(ids) == expected, "a reading lost or stored twice"
    check_outputs(run, scores, letters, expected)
    restarted = [line for line in log_path.read_text().splitlines() if line.startswith("stopped:")][-1]
    print(f"{kind}: killed after {at_kill} of {total} readings; restarted consumer {restarted}; {len(scores)} "
          f"score messages for {total} readings ({len(scores) - total} repeats on the wire, each under its reading "
          f"id); {len(letters)} dead letters")
