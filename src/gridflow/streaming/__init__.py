"""Streaming scoring (`gridflow stream`): transformer DGA readings from a broker topic are scored
with the `@champion` of `transformer_health`, stored once per reading id, published to an output
topic, and a unit at or above the attention threshold announces `gridflow.asset.health.degraded`.

One job per module: `messages` (wire formats), `scoring` (the model call), `sink` (first write
wins), `alarms` (the degraded event), `handler` (one message, broker-neutral), `brokers` (the
FastStream adapter, the only module importing it) and `consumer` (wiring from the settings).
"""
