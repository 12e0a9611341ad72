"""Swap on the event: a listener on the real Prefect server's event stream refreshes the served
model within seconds of a promotion or rollback event, with polling effectively off; and the
rollback command's core announces itself on that stream."""

from __future__ import annotations

import time
import uuid

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression

from gridflow import events
from gridflow.serving.champion_events import ChampionListener
from gridflow.serving.holder import ModelHolder, Served

pytestmark = pytest.mark.integration


def _wait(check, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def test_a_promotion_event_swaps_the_served_version_at_once(gridflow_env):
    name = f"events_{uuid.uuid4().hex[:8]}"
    registry = {name: "1"}  # what the alias points at; the holder reads it only when refreshed
    loads: list[str] = []

    def load(model: str, version: str) -> Served:
        loads.append(version)
        return Served(model, version, model=None)

    holder = ModelHolder([name], registry.get, load)
    holder.refresh()
    listener = ChampionListener(holder, reconnect_seconds=0.5)
    listener.start()
    try:
        _wait(listener.connected.is_set, 30, "the event subscription")
        time.sleep(1.0)  # the server starts streaming once the filter is in place

        registry[name] = "2"
        events.emit(events.Event(events.MODEL_PROMOTED, events.resource(events.model_resource(name)),
                                 payload={"version": "2"}))
        _wait(lambda: holder.get(name).version == "2", 20, "the swap after the promotion event")

        # Another model's event and another event name change nothing.
        registry[name] = "3"
        events.emit(events.Event(events.MODEL_PROMOTED, events.resource(events.model_resource("someone_else"))))
        events.emit(events.Event(events.DRIFT_DETECTED, events.resource(events.model_resource(name))))
        time.sleep(3)
        assert holder.get(name).version == "2"

        events.emit(events.Event(events.MODEL_ROLLED_BACK, events.resource(events.model_resource(name))))
        _wait(lambda: holder.get(name).version == "3", 20, "the swap after the rollback event")
    finally:
        listener.stop()
    assert loads == ["1", "2", "3"]
    assert f"{name}@2" in listener.swaps and f"{name}@3" in listener.swaps


def test_rolling_back_moves_the_alias_audits_it_and_announces_it(gridflow_env):
    from prefect import get_client
    from prefect.events.filters import EventFilter, EventNameFilter, EventResourceFilter

    from gridflow.registry import mlflow_registry as registry
    from gridflow.registry.gate import GateDecision
    from gridflow.registry.promotion import apply_gate_decision
    from gridflow.runtime import mlflow_ready, warehouse
    from gridflow.training.decision import roll_back
    from gridflow.warehouse import audit

    mlflow_ready()
    model = f"toy_{uuid.uuid4().hex[:8]}"
    experiment = registry.ensure_experiment(model)
    x = pd.DataFrame({"x": np.arange(20, dtype=float)})
    versions = []
    for slope in (1.0, 2.0):
        logged = registry.log_challenger(
            model_name=model, experiment_id=experiment, model=LinearRegression().fit(x, slope * x["x"]),
            params={"slope": slope}, metrics={"holdout_mape": slope}, tags={},
            training_frame=x.assign(y=slope * x["x"]), training_source={"warehouse": "test"}, target="y",
            input_example=x.head(3))
        apply_gate_decision(
            warehouse(), GateDecision(promote=True, metric="mape", challenger=slope, champion=None, baseline=None,
                                      challenger_version=logged.version,
                                      champion_version=versions[-1] if versions else None, reason="test"),
            model_name=model, actor="test", trigger="test", mlflow_run_id=logged.run_id, metrics={})
        versions.append(logged.version)

    move = roll_back(warehouse(), model, actor="operator", reason="test: bad forecasts")
    assert (move.from_version, move.to_version) == (versions[1], versions[0])
    assert registry.alias_version_number(model, registry.CHAMPION) == versions[0]
    with warehouse().connect() as conn:
        assert audit.decision_history(conn, model)[0]["action"] == "rollback"

    wanted = EventFilter(event=EventNameFilter(name=[events.MODEL_ROLLED_BACK]),
                         resource=EventResourceFilter(id=[events.model_resource(model)]))

    def announced() -> list:
        with get_client(sync_client=True) as client:
            return client.read_events(filter=wanted, limit=5).events

    _wait(lambda: len(announced()) == 1, 30, "the rollback event to be stored")
    assert announced()[0].payload["version"] == versions[0]
