"""`gridflow stream ...`: score transformer readings from a broker topic with the champion, and
send reading files to that topic.

Heavy libraries are imported inside commands so `gridflow --help` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from gridflow.errors import GridflowError
from gridflow_cli.shell import bootstrap, fail

stream_app = typer.Typer(help="Streaming scoring: readings in from a broker topic, champion scores out, "
                              "degraded units announced (Kafka, NATS JetStream, Redis Streams, RabbitMQ).")

BrokerUrl = Annotated[str | None, typer.Option(
    help="kafka://host:9092, nats://host:4222, redis://host:6379 or amqp://user:pass@host:5672/ "
         "(default: GRIDFLOW_STREAM__BROKER_URL)")]


def _config(**overrides: Any):
    """The stream settings with the command line's options (those given) on top."""
    from gridflow.streaming.consumer import stream_config

    given = {key: value for key, value in overrides.items() if value is not None}
    return stream_config().model_copy(update=given)


@stream_app.callback(invoke_without_command=True)
def stream(
    ctx: typer.Context,
    broker_url: BrokerUrl = None,
    input_topic: Annotated[str | None, typer.Option(help="topic the readings arrive on")] = None,
    output_topic: Annotated[str | None, typer.Option(help="topic the scores are published to")] = None,
    dead_letter_topic: Annotated[str | None, typer.Option(help="malformed messages (default <input>.dlq)")] = None,
    group: Annotated[str | None, typer.Option(help="consumer group / durable consumer name")] = None,
    model: Annotated[str | None, typer.Option(help="registered model whose champion scores")] = None,
) -> None:
    """Consume readings until interrupted: score each with the `@champion` (hot-swapped when the alias
    moves), store it once per reading id, publish it, and announce degraded units to Prefect."""
    if ctx.invoked_subcommand is not None:
        return
    import logging

    from gridflow.streaming.brokers import broker_kind, public_url
    from gridflow.streaming.consumer import run

    config = _config(broker_url=broker_url, input_topic=input_topic, output_topic=output_topic,
                     dead_letter_topic=dead_letter_topic, group=group, model=model)
    try:
        broker_kind(config.broker_url)
    except GridflowError as exc:
        fail(exc)
    bootstrap()  # degraded units are announced on the stack's event stream
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    typer.echo(f"stream consumer on {public_url(config.broker_url)}: {config.input_topic} -> "
               f"{config.output_topic} (Ctrl-C stops)")
    try:
        counts = run(config)
    except GridflowError as exc:
        fail(exc)
    typer.echo(f"stopped: {counts.get('scored', 0)} scored, {counts.get('redelivered', 0)} redelivered, "
               f"{counts.get('degraded', 0)} degraded, {counts.get('dead-letter', 0)} dead letters")


@stream_app.command("publish")
def publish(
    file: Annotated[Path, typer.Argument(
        exists=True, dir_okay=False, help="a transformer health-index CSV (data/transformer/...)")],
    broker_url: BrokerUrl = None,
    topic: Annotated[str | None, typer.Option(help="topic to send to (default: the input topic)")] = None,
    limit: Annotated[int | None, typer.Option(min=1, help="send only the first N readings")] = None,
) -> None:
    """Send the readings of a CSV file to the input topic, one message per reading (demos, tests)."""
    import asyncio

    from gridflow.streaming.brokers import public_url
    from gridflow.streaming.consumer import broker_for, file_messages, publish_messages

    config = _config(broker_url=broker_url, input_topic=topic)
    target = config.input_topic
    try:
        broker = broker_for(config)
        sent = asyncio.run(publish_messages(broker, file_messages(file, limit)))
    except GridflowError as exc:
        fail(exc)
    typer.echo(f"sent {sent} readings to {target} on {public_url(config.broker_url)}")
