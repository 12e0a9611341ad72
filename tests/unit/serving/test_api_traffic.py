"""Shadow and A/B traffic through the app on in-memory models (no registry, no warehouse): who answers,
what is logged per arm, that a slow warehouse or a broken challenger never reaches the caller, and
that every row is written by the time the app has shut down."""

from __future__ import annotations

import threading
import time

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from gridflow.serving import traffic
from gridflow.serving.app import create_app
from gridflow.serving.auth import hash_key
from gridflow.serving.holder import ModelHolder, Served
from gridflow.serving.metrics import new_metrics
from gridflow.serving.prediction_log import PredictionLog
from gridflow.usecases.configs import ApiConfig, TrafficRule

KEY = "gfk_test-key"
HEADERS = {"X-API-Key": KEY}
TYPES = {"x": "double"}


# A gated model or warehouse hangs this long unless released: far beyond any bound a test checks,
# so a loaded machine cannot be mistaken for a request that waited.
HANG_SECONDS = 60


class Times:
    """A model multiplying its one input column."""

    def __init__(self, factor: float, fail: bool = False, gate: threading.Event | None = None) -> None:
        self.factor, self.fail, self.gate = factor, fail, gate

    def predict(self, frame: pd.DataFrame):
        if self.gate is not None:
            self.gate.wait(HANG_SECONDS)
        if self.fail:
            raise RuntimeError("challenger artifact is broken")
        return frame["x"].to_numpy() * self.factor


def _predict(served: Served, frame: pd.DataFrame) -> list:
    return served.model.predict(frame).tolist()


class SlowTable:
    """An in-memory warehouse; with a `gate`, each write hangs until it is set (at most HANG_SECONDS)."""

    def __init__(self, gate: threading.Event | None = None) -> None:
        self.gate = gate
        self.rows: list[dict] = []
        self.lock = threading.Lock()

    def write(self, rows: list[dict]) -> int:
        if self.gate is not None:
            self.gate.wait(HANG_SECONDS)
        with self.lock:
            self.rows.extend(rows)
        return len(rows)


def _app(rule: TrafficRule | None, table: SlowTable, *, challenger: Times | None = None, champion_version="1",
         challenger_version="2", batch_rows: int = 1000, flush_seconds: float = 0.2):
    models = {"1": Times(2.0), "2": challenger or Times(3.0)}
    champions = ModelHolder(["m"], {"m": champion_version}.get,
                            lambda name, version: Served(name, version, models[version], TYPES))
    challengers = ModelHolder(["m"], {"m": challenger_version}.get,
                              lambda name, version: Served(name, version, models[version], TYPES), drop_missing=True)
    champions.refresh()
    challengers.refresh()
    metrics = new_metrics()
    plog = PredictionLog(table.write, batch_rows=batch_rows, flush_seconds=flush_seconds, max_rows=100_000,
                         count=metrics.count_log_rows)
    config = ApiConfig(keys={"scada": hash_key(KEY)}, traffic={"m": rule} if rule else {})
    app = create_app(champions, config, predict=_predict, read_forecast=lambda zone, day: None, list_models=list,
                     poll=False, challengers=challengers, prediction_log=plog, metrics=metrics)
    app.state.test_metrics = metrics  # read after shutdown, once every shadow scoring has finished
    return app


def _metrics_text(app) -> str:
    return app.state.test_metrics.exposition()[0].decode()


def _post(client: TestClient, rows: list[dict], headers: dict | None = None):
    return client.post("/models/m/predict", json={"dataframe_records": rows}, headers={**HEADERS, **(headers or {})})


def test_shadow_returns_the_champion_and_logs_both_arms_of_every_row():
    table = SlowTable()
    app = _app(TrafficRule(mode="shadow", key="reading_id"), table)
    ids = []
    with TestClient(app) as client:
        for i in range(5):
            answer = _post(client, [{"reading_id": f"R{i}", "x": 1.0}, {"reading_id": f"R{i}b", "x": 2.0}])
            assert answer.status_code == 200, answer.text
            assert answer.json() == {"predictions": [2.0, 4.0], "model": "m", "version": "1"}
            assert answer.headers["X-Model-Version"] == "1" and answer.headers["X-Model-Arm"] == "champion"
            ids.append(answer.headers["X-Request-Id"])
        ready = client.get("/ready").json()
    metrics = _metrics_text(app)
    # After shutdown: every request's rows, both arms, the challenger's never returned.
    logged = pd.DataFrame(table.rows)
    assert len(logged) == 20 and set(logged["request_id"]) == set(ids)
    pairs = logged.groupby(["request_id", "row_index"])["arm"].apply(lambda arms: tuple(sorted(arms)))
    assert len(pairs) == 10 and set(pairs) == {("challenger", "champion")}
    by_arm = logged.set_index("arm")
    assert set(by_arm.loc["champion", "model_version"]) == {"1"} and set(by_arm.loc["challenger", "model_version"]) == {"2"}
    assert by_arm.loc["champion", "returned"].all() and not by_arm.loc["challenger", "returned"].any()
    assert set(logged["mode"]) == {"shadow"} and set(logged["client"]) == {"scada"}
    assert logged.loc[logged["arm"] == "challenger", "prediction"].tolist()[:2] == [3.0, 6.0]
    assert logged.loc[logged["row_index"] == 1, "request_key"].str.endswith("b").all()  # each row its own key
    assert ready["challengers"] == {"m": "2"}
    assert 'gridflow_api_requests_total{arm="champion",model="m",status="200",version="1"} 5.0' in metrics
    assert 'gridflow_api_shadow_scorings_total{model="m",outcome="ok",version="2"}' in metrics


def test_ab_is_sticky_by_the_key_column_or_header_and_one_version_answers_a_request():
    table = SlowTable()
    rule = TrafficRule(mode="ab", share=0.5, key="reading_id")
    app = _app(rule, table)
    expected = {f"R{i}": traffic.choose_arm(rule, "m", f"R{i}") for i in range(40)}
    assert set(expected.values()) == {"champion", "challenger"}
    with TestClient(app) as client:
        for _ in range(2):
            for key, arm in expected.items():
                answer = _post(client, [{"reading_id": key, "x": 1.0}])
                assert answer.headers["X-Model-Arm"] == arm
                assert answer.json()["version"] == answer.headers["X-Model-Version"] == ("2" if arm == "challenger" else "1")
                assert answer.json()["predictions"] == [3.0 if arm == "challenger" else 2.0]
        # The header wins over the column; a request mixing keys goes by its first row, whole.
        header_key = next(k for k, arm in expected.items() if arm == "challenger")
        by_header = _post(client, [{"reading_id": "R0", "x": 1.0}], {"X-Request-Key": header_key})
        assert by_header.headers["X-Model-Arm"] == "challenger"
        first = next(k for k, arm in expected.items() if arm == "champion")
        mixed = _post(client, [{"reading_id": first, "x": 1.0}, {"reading_id": header_key, "x": 1.0}])
        assert mixed.json()["predictions"] == [2.0, 2.0] and mixed.headers["X-Model-Arm"] == "champion"
        # Without a key the request cannot be sticky: the champion answers.
        assert _post(client, [{"x": 1.0}]).headers["X-Model-Arm"] == "champion"
        metrics = client.get("/metrics").text
    logged = pd.DataFrame(table.rows)
    assert set(logged["mode"]) == {"ab"} and logged["returned"].all()  # A/B: every logged answer was returned
    assert len(logged) == 80 + 1 + 2 + 1
    assert 'arm="challenger",model="m",status="200",version="2"' in metrics


def test_without_a_distinct_challenger_the_rule_serves_the_champion():
    table = SlowTable()
    app = _app(TrafficRule(mode="shadow"), table, challenger_version="1")
    with TestClient(app) as client:
        assert _post(client, [{"x": 1.0}]).headers["X-Model-Arm"] == "champion"
    assert [(r["arm"], r["mode"]) for r in table.rows] == [("champion", "serve")]


def test_a_broken_challenger_never_reaches_the_caller():
    table = SlowTable()
    app = _app(TrafficRule(mode="shadow"), table, challenger=Times(3.0, fail=True))
    with TestClient(app) as client:
        answers = [_post(client, [{"x": 1.0}]) for _ in range(3)]
    metrics = _metrics_text(app)
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert {r["arm"] for r in table.rows} == {"champion"}
    assert 'gridflow_api_shadow_scorings_total{model="m",outcome="error",version="2"} 3.0' in metrics


def test_requests_do_not_wait_on_the_warehouse_or_the_shadow_and_every_row_lands_at_shutdown():
    release = threading.Event()
    table = SlowTable(gate=release)  # the warehouse hangs until released
    app = _app(TrafficRule(mode="shadow"), table, challenger=Times(3.0, gate=release), batch_rows=5,
               flush_seconds=0.05)
    with TestClient(app) as client:
        started = time.perf_counter()
        for i in range(20):
            assert _post(client, [{"x": float(i)}]).status_code == 200
        elapsed = time.perf_counter() - started
        assert table.rows == []  # every answer was sent while nothing had been written or shadow-scored
        release.set()
    # A request that waited for the warehouse or the challenger would have taken the HANG_SECONDS the
    # gate holds; the bound is half of that, generous for 20 requests on a loaded machine.
    assert elapsed < HANG_SECONDS / 2, elapsed
    assert len(table.rows) == 40 and len({(r["request_id"], r["arm"]) for r in table.rows}) == 40


@pytest.mark.parametrize("mode", ["serve", None])
def test_a_model_without_a_rule_logs_the_champion_only(mode):
    table = SlowTable()
    app = _app(TrafficRule(mode=mode) if mode else None, table)
    with TestClient(app) as client:
        assert _post(client, [{"x": 1.0}]).json()["version"] == "1"
        assert client.get("/models", headers=HEADERS).status_code == 200
    assert [(r["arm"], r["mode"], r["request_key"]) for r in table.rows] == [("champion", "serve", None)]
