"""The app's routes on an in-memory model (no registry, no network): auth, validation, limits,
version headers, readiness and metrics."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from gridflow.serving.app import create_app
from gridflow.serving.auth import hash_key
from gridflow.serving.holder import ModelHolder, Served
from gridflow.usecases.configs import ApiConfig

KEY = "gfk_test-key"
HEADERS = {"X-API-Key": KEY}


class Doubler:
    """A model that doubles its one input column."""

    def predict(self, frame: pd.DataFrame):
        return frame["x"].to_numpy() * 2


def _predict(served: Served, frame: pd.DataFrame) -> list:
    return served.model.predict(frame).tolist()


def _forecast(zone: str, day: date):
    if zone != "PJME":
        return None
    return {"zone": zone, "date": day.isoformat(), "version": "7", "rows": [{"P50 MW": 31000}]}


@pytest.fixture
def client():
    holder = ModelHolder(["doubler", "absent"], {"doubler": "3"}.get,
                         lambda name, version: Served(name, version, Doubler(), {"x": "double"}))
    config = ApiConfig(keys={"tests": hash_key(KEY)}, max_rows=2, max_body_bytes=200, poll_seconds=0.05)
    app = create_app(holder, config, predict=_predict, read_forecast=_forecast,
                     list_models=lambda: [{"name": "doubler", "champion": "3", "aliases": {"champion": "3"},
                                           "metrics": {"holdout_mae": 1.0}}])
    with TestClient(app) as test_client:
        _wait_ready(test_client)
        yield test_client


def _wait_ready(test_client: TestClient) -> None:
    import time

    deadline = time.monotonic() + 5
    while test_client.get("/ready").status_code != 200:
        assert time.monotonic() < deadline, "never ready"
        time.sleep(0.02)


def test_both_mlflow_bodies_score_with_the_version_in_body_and_header(client):
    for body in ({"dataframe_split": {"columns": ["x"], "data": [[1.5], [2]]}},
                 {"dataframe_records": [{"x": 1.5}, {"x": 2}]}):
        answer = client.post("/models/doubler/predict", json=body, headers=HEADERS)
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"predictions": [3.0, 4.0], "model": "doubler", "version": "3"}
        assert answer.headers["X-Model-Version"] == "3"


def test_validation_and_limits(client):
    missing = client.post("/models/doubler/predict", json={"dataframe_records": [{"y": 1}]}, headers=HEADERS)
    assert missing.status_code == 422
    assert missing.json()["missing"] == ["x"] and missing.json()["extra"] == ["y"]
    rows = client.post("/models/doubler/predict", json={"dataframe_records": [{"x": 1}] * 3}, headers=HEADERS)
    assert rows.status_code == 413 and rows.headers["X-Model-Version"] == "3"
    big = client.post("/models/doubler/predict", content=b'{"dataframe_records": []}' + b" " * 200, headers=HEADERS)
    assert big.status_code == 413
    assert client.post("/models/absent/predict", json={}, headers=HEADERS).status_code == 503
    assert client.post("/models/nobody/predict", json={}, headers=HEADERS).status_code == 404


def test_keys_guard_everything_but_health_ready_metrics_docs(client):
    body = {"dataframe_records": [{"x": 1}]}
    assert client.post("/models/doubler/predict", json=body).status_code == 401
    assert client.post("/models/doubler/predict", json=body, headers={"X-API-Key": "nope"}).status_code == 403
    assert client.get("/models").status_code == 401
    assert client.get("/forecast/PJME", params={"date": "2026-12-08"}).status_code == 401
    for path in ("/health", "/ready", "/metrics", "/openapi.json"):
        assert client.get(path).status_code == 200, path


def test_models_forecast_and_metrics(client):
    models = client.get("/models", headers=HEADERS).json()
    assert models[0]["champion"] == "3" and models[0]["serving"] == "3"
    forecast = client.get("/forecast/PJME", params={"date": "2026-12-08"}, headers=HEADERS)
    assert forecast.status_code == 200 and forecast.headers["X-Model-Version"] == "7"
    assert client.get("/forecast/ERCOT", params={"date": "2026-12-08"}, headers=HEADERS).status_code == 404
    client.post("/models/doubler/predict", json={"dataframe_records": [{"x": 1}]}, headers=HEADERS)
    text = client.get("/metrics").text
    assert 'gridflow_api_requests_total{arm="champion",model="doubler",status="200",version="3"}' in text
    assert "gridflow_api_request_seconds_bucket" in text


def test_ready_is_503_until_the_champion_is_loaded():
    holder = ModelHolder(["doubler"], {"doubler": "3"}.get, lambda name, version: Served(name, version, Doubler()))
    app = create_app(holder, ApiConfig(), predict=_predict, read_forecast=_forecast, list_models=list, poll=False)
    with TestClient(app) as test_client:
        assert test_client.get("/ready").status_code == 503
        holder.refresh()
        assert test_client.get("/ready").json() == {"ready": True, "serving": {"doubler": "3"}}
