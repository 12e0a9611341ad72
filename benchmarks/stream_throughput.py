"""Streaming scoring through the real local NATS JetStream broker against the bare scoring loop.

Both sides score the same `rows` readings (the 470 shipped transformers cycled, each copy with its
own reading and asset ids) with the same `transformer_health` champion, loaded from the run's
MLflow registry (trained by `flows.retrain.retrain` on the shipped readings, production forest of
300 trees, CV cut to 1x2 to bound the set-up).

- baseline, the bare scoring loop: parse each message and score the readings in-process in the
  batches the stream uses (`brokers.BATCH`), nothing else;
- measured, through the broker: the readings are first published to the input topic (one
  JetStream publish with its ack each, timed and printed apart), then the `gridflow stream`
  consumer (`gridflow.streaming.consumer.build_consumer`, in this process, champion already
  loaded) turns that backlog into scores on the output topic; the clock runs from the broker's
  start to the last score received. In between: batch fetch from a durable pull consumer, parse,
  score, the first-write-wins insert into the SQLite warehouse, a keyed publish of every score,
  the degraded units' events sent to the local Prefect server (waited for), and the acks.

NATS comes from GRIDFLOW_BENCH_NATS_URL (default nats://127.0.0.1:4222); the run's streams are
deleted afterwards. Bounded: the end-to-end side gives up after `TIMEOUT_S`.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
import uuid
from pathlib import Path

from gridflow.provenance import PROJECT_ROOT

SHIPPED = PROJECT_ROOT / "data" / "transformer" / "transformer_health_index.csv"
NATS_URL = os.environ.get("GRIDFLOW_BENCH_NATS_URL", "nats://127.0.0.1:4222")
TIMEOUT_S = 600.0
ENV = {"GRIDFLOW_TRANSFORMER_HEALTH__CV_REPEATS": "1", "GRIDFLOW_TRANSFORMER_HEALTH__CV_FOLDS": "2"}


def _messages(rows: int, run: str) -> list[bytes]:
    """`rows` reading messages: the shipped readings cycled, every copy with unique ids."""
    from gridflow.streaming.consumer import file_messages

    shipped = [json.loads(body) for body in file_messages(SHIPPED)]
    out = []
    for i in range(rows):
        payload = dict(shipped[i % len(shipped)])
        payload["reading_id"] = f"{run}-{i:07d}"
        payload["asset_id"] = f"{run}-{payload['asset_id']}"
        out.append(json.dumps(payload).encode())
    return out


def _train_champion() -> None:
    from flows.ingest_transformers import ingest_transformer_readings
    from flows.retrain import retrain

    ingest_transformer_readings(str(SHIPPED))
    result = retrain(model="transformer_health", trigger="benchmark: stream throughput")
    if result.decision.action != "promote":
        raise RuntimeError(f"no transformer_health champion: {result.decision.reason}")


def bare_loop(served, bodies: list[bytes], threshold: float, batch: int) -> float:
    """Seconds to parse and score every body in batches of `batch`, in this process."""
    from datetime import UTC, datetime

    from gridflow.streaming.messages import parse_reading
    from gridflow.streaming.scoring import score_readings

    started = time.perf_counter()
    for start in range(0, len(bodies), batch):
        readings = [parse_reading(body) for body in bodies[start:start + batch]]
        score_readings(served, readings, threshold, datetime.now(UTC))
    return time.perf_counter() - started


async def _through_nats(config, bodies: list[bytes]) -> tuple[float, float, dict]:
    """(seconds to publish every reading, seconds for the consumer to turn the backlog into scores
    on the output topic, handler counts)."""
    from gridflow.streaming.consumer import broker_for, build_consumer

    producer = broker_for(config)
    await producer.start()
    try:
        started = time.perf_counter()
        for body in bodies:
            await producer.publish(config.input_topic, body, key="")
        published = time.perf_counter() - started
    finally:
        await producer.stop()

    import nats

    from gridflow.streaming.brokers import stream_name

    consumer = build_consumer(config)
    # The output stream's message count says when the last score arrived; a subscriber reading
    # every score back in this process would slow the consumer it measures.
    watcher = await nats.connect(NATS_URL)
    await consumer.startup()  # the champion is loaded before the clock starts
    try:
        started = time.perf_counter()
        await consumer.broker.start()
        deadline = started + TIMEOUT_S
        while (await watcher.jetstream().stream_info(stream_name(config.output_topic))).state.messages < len(bodies):
            if time.perf_counter() > deadline:
                raise TimeoutError(f"not every score on {config.output_topic} after {TIMEOUT_S:.0f} s")
            await asyncio.sleep(0.01)
        drained = time.perf_counter() - started
    finally:
        await watcher.close()
        await consumer.broker.stop()
        consumer.shutdown()
    return published, drained, dict(consumer.handler.counts)


async def _delete_streams(config) -> None:
    import nats

    from gridflow.streaming.brokers import stream_name

    client = await nats.connect(NATS_URL)
    try:
        for topic in (config.input_topic, config.output_topic, config.dead_letters):
            try:
                await client.jetstream().delete_stream(stream_name(topic))
            except Exception as exc:  # already gone: nothing to clean
                print(f"could not delete the stream of {topic}: {exc}")
    finally:
        await client.close()


def run(workdir: Path, rows: int) -> list[dict]:
    """Bare loop and end to end on `rows` readings (default 20,000); one table row."""
    os.environ.update(ENV)
    from gridflow.config import reset_settings, section
    from gridflow.runtime import mlflow_ready
    from gridflow.serving.registry_source import champion_version, load_served
    from gridflow.streaming.brokers import BATCH
    from gridflow.usecases.configs import StreamConfig, TransformerHealthConfig

    reset_settings()
    _train_champion()
    mlflow_ready()
    served = load_served("transformer_health", champion_version("transformer_health"))
    threshold = section("transformer_health", TransformerHealthConfig).attention_threshold
    run_id = uuid.uuid4().hex[:8]
    bodies = _messages(rows, run_id)

    bare_loop(served, bodies[:BATCH], threshold, BATCH)  # imports and first-call costs out of the timing
    bare_s = bare_loop(served, bodies, threshold, BATCH)

    config = StreamConfig(broker_url=NATS_URL, input_topic=f"gridflow.bench.{run_id}.readings",
                          output_topic=f"gridflow.bench.{run_id}.health", group=f"gridflow-bench-{run_id}",
                          poll_seconds=5.0)
    try:
        publish_s, stream_s, counts = asyncio.run(_through_nats(config, bodies))
    finally:
        asyncio.run(_delete_streams(config))
    if counts.get("scored") != rows:
        raise RuntimeError(f"the stream scored {counts} for {rows} readings")
    print(f"stream throughput, {rows:,} readings: bare scoring loop {rows / bare_s:,.0f} msg/s ({bare_s:.2f} s, "
          f"batches of {BATCH}); through NATS JetStream {rows / stream_s:,.0f} msg/s ({stream_s:.2f} s from a "
          f"backlog: fetch, score, store, publish, announce, ack), {(rows / stream_s) / (rows / bare_s):.2f} of "
          f"the bare loop's rate; publishing the readings one acked message at a time took {publish_s:.2f} s "
          f"({rows / publish_s:,.0f} msg/s); {counts.get('degraded', 0)} degraded units announced")
    return [{
        "benchmark": f"stream scoring through NATS JetStream, {rows:,} readings from a backlog (fetch, score, "
                     "store, publish score, announce, ack)",
        "baseline": f"bare scoring loop, same readings and champion, batches of {BATCH}",
        "baseline_s": bare_s, "measured_s": stream_s, "ratio": stream_s / bare_s,
    }]
