"""The broker factory: one URL setting chooses the broker; secrets never reach logs or the warehouse;
the settings read like every other section; the CLI fails with one `error:` line."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from gridflow.errors import ConfigError
from gridflow.streaming.brokers import (
    KafkaStream,
    NatsStream,
    RabbitStream,
    RedisStream,
    broker_kind,
    make_broker,
    public_url,
    stream_name,
)
from gridflow.streaming.handler import Topics

TOPICS = Topics("transformer.readings", "transformer.health", "transformer.readings.dlq")


@pytest.mark.parametrize(("url", "kind", "cls"), [
    ("kafka://kafka:9092", "kafka", KafkaStream),
    ("kafka://k1:9092,k2:9092", "kafka", KafkaStream),
    ("nats://127.0.0.1:4222", "nats", NatsStream),
    ("redis://127.0.0.1:6379/0", "redis", RedisStream),
    ("amqp://guest:guest@127.0.0.1:5672/", "rabbit", RabbitStream),
    ("AMQPS://user:pw@mq.example.com:5671/vhost", "rabbit", RabbitStream),
])
def test_the_scheme_chooses_the_broker(url, kind, cls):
    assert broker_kind(url) == kind
    assert isinstance(make_broker(url, TOPICS, group="g", consumer="c", redeliver_seconds=5), cls)


@pytest.mark.parametrize("url", ["mqtt://host:1883", "host:9092", "", "http://kafka:9092"])
def test_an_unknown_scheme_is_a_config_error(url):
    with pytest.raises(ConfigError, match="scheme must be one of"):
        broker_kind(url)


def test_credentials_never_leave_the_url_setting():
    assert public_url("amqp://gridflow:s3cret@mq:5672/prod") == "amqp://mq:5672/prod"
    assert public_url("redis://:s3cret@cache:6379/2") == "redis://cache:6379/2"
    assert public_url("kafka://k1:9092,k2:9092") == "kafka://k1:9092,k2:9092"
    with pytest.raises(ConfigError) as caught:
        broker_kind("ftp://user:s3cret@host/")
    assert "s3cret" not in str(caught.value)


def test_jetstream_names_allow_no_dots_or_wildcards():
    assert stream_name("transformer.readings.dlq") == "transformer_readings_dlq"
    assert stream_name("a.*.>") == "a____"


def test_settings_read_from_the_environment(monkeypatch):
    from gridflow.config import reset_settings
    from gridflow.streaming.consumer import stream_config, topics_of

    monkeypatch.setenv("GRIDFLOW_STREAM__BROKER_URL", "nats://nats:4222")
    monkeypatch.setenv("GRIDFLOW_STREAM__INPUT_TOPIC", "dga.readings")
    monkeypatch.setenv("GRIDFLOW_STREAM__REDELIVER_SECONDS", "2.5")
    reset_settings()
    try:
        config = stream_config()
        assert (config.broker_url, config.group, config.model, config.redeliver_seconds) == (
            "nats://nats:4222", "gridflow-stream", "transformer_health", 2.5)
        assert topics_of(config) == Topics("dga.readings", "transformer.health", "dga.readings.dlq")
        assert "nats://nats:4222" not in repr(config)  # a URL may carry a password
    finally:
        reset_settings()


def test_cli_errors_end_in_one_error_line(tmp_path):
    from gridflow_cli.main import app

    csv = tmp_path / "readings.csv"
    csv.write_text("Hydrogen\n1\n")
    result = CliRunner().invoke(app, ["stream", "publish", str(csv), "--broker-url", "mqtt://x:1883"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1].startswith("error: broker URL 'mqtt://x:1883'")
    result = CliRunner().invoke(app, ["stream", "publish", str(csv), "--broker-url", "nats://127.0.0.1:4222"])
    assert result.exit_code == 1 and "error:" in result.output and "header" in result.output
    result = CliRunner().invoke(app, ["stream", "--broker-url", "mqtt://x:1883"])
    assert result.exit_code == 1 and result.output.startswith("error: broker URL")


def test_the_heartbeat_file_is_touched_while_the_loop_runs(tmp_path, monkeypatch):
    import asyncio
    import os

    from gridflow.streaming import consumer

    monkeypatch.setattr(consumer, "HEARTBEAT_SECONDS", 0.05)
    path = tmp_path / "run" / "stream.alive"

    async def beat_for_a_while() -> list[float]:
        task = asyncio.create_task(consumer._beat(path))
        seen = []
        for _ in range(3):
            await asyncio.sleep(0.12)
            seen.append(os.stat(path).st_mtime_ns)
        task.cancel()
        return seen

    seen = asyncio.run(beat_for_a_while())
    assert seen == sorted(seen) and seen[0] < seen[-1]  # the compose health check reads its age
