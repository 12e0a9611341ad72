"""The scoring API on uvicorn (loopback) over a real MLflow store and warehouse: the transformer-health
champion answers both MLflow body forms, refuses bad bodies and keys, reports ready and metrics, and
is hot-swapped through a promotion and a rollback while requests keep flowing, with no error and no
answer from a version other than the old or the new one."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import free_port

pytestmark = pytest.mark.integration

SHIPPED = Path(__file__).resolve().parents[2] / "data" / "transformer" / "transformer_health_index.csv"
MODEL = "transformer_health"
KEY = "gfk_integration-test-key"


class ApiServer:
    """uvicorn serving an app in a thread of this process, on a free loopback port."""

    def __init__(self, app) -> None:
        import uvicorn

        self.url = f"http://127.0.0.1:{free_port()}"
        port = int(self.url.rsplit(":", 1)[1])
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> ApiServer:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.05)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(15)


def _wait_until(check, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def _rounded(predictions: list[float] | None) -> str:
    # A forest sums its trees in parallel: the last bits of one version's answers may differ.
    return json.dumps(None if predictions is None else [round(p, 6) for p in predictions])


class Sender(threading.Thread):
    """Posts the same body over and over, recording (status, body version, header version, predictions)."""

    def __init__(self, url: str, body: dict) -> None:
        super().__init__(daemon=True)
        self.url, self.body = url, body
        self.answers: list[tuple[int, str | None, str | None, str]] = []
        self.stop = threading.Event()

    def run(self) -> None:
        import httpx

        with httpx.Client(headers={"X-API-Key": KEY}, timeout=30) as client:
            while not self.stop.is_set():
                answer = client.post(f"{self.url}/models/{MODEL}/predict", json=self.body)
                payload = answer.json() if answer.status_code == 200 else {}
                self.answers.append((answer.status_code, payload.get("version"),
                                     answer.headers.get("X-Model-Version"), _rounded(payload.get("predictions"))))
                time.sleep(0.01)

    def versions(self) -> set[str | None]:
        return {version for _, version, _, _ in list(self.answers)}


def test_scoring_api_serves_the_champion_and_hot_swaps_it(gridflow_env, monkeypatch):
    import httpx

    from flows.ingest_transformers import ingest_transformer_readings
    from flows.retrain import retrain
    from gridflow.config import reset_settings
    from gridflow.registry.gate import GateDecision
    from gridflow.registry.promotion import apply_gate_decision, rollback_champion
    from gridflow.runtime import warehouse
    from gridflow.serving.auth import hash_key
    from gridflow.serving.build import build_app
    from gridflow.transformers import health_model as hm
    from gridflow.warehouse.transformers import read_transformer_readings

    for key, value in {
        "GRIDFLOW_TRANSFORMER_HEALTH__CV_REPEATS": "1",
        "GRIDFLOW_TRANSFORMER_HEALTH__CV_FOLDS": "2",
        "GRIDFLOW_API__KEYS": json.dumps({"tests": hash_key(KEY)}),
        "GRIDFLOW_API__MODELS": json.dumps([MODEL]),
        "GRIDFLOW_API__MAX_ROWS": "20",
        "GRIDFLOW_API__POLL_SECONDS": "0.3",
    }.items():
        monkeypatch.setenv(key, value)
    reset_settings()

    assert ingest_transformer_readings(str(SHIPPED)).status == "loaded"
    first = retrain(model=MODEL, trigger="test: scoring API champion")
    assert first.decision.action == "promote", first.decision.reason
    old = first.version
    with warehouse().connect() as conn:
        features = hm.build_features(read_transformer_readings(conn))[hm.FEATURE_COLUMNS]
    rows = features.head(3)
    split = {"dataframe_split": {"columns": list(rows.columns), "data": rows.to_numpy().tolist()}}
    records = {"dataframe_records": rows.to_dict(orient="records")}

    with ApiServer(build_app()) as api, httpx.Client(base_url=api.url, timeout=30) as client:
        _wait_until(lambda: client.get("/ready").status_code == 200, 60, "the champion to load")
        assert client.get("/health").json() == {"status": "ok"}
        auth = {"X-API-Key": KEY}

        # Both MLflow serving bodies, the version in the answer and its header.
        answers = [client.post(f"/models/{MODEL}/predict", json=body, headers=auth) for body in (split, records)]
        for answer in answers:
            assert answer.status_code == 200, answer.text
            assert answer.json()["version"] == old and answer.headers["X-Model-Version"] == old
            assert answer.json()["model"] == MODEL and len(answer.json()["predictions"]) == 3
        assert answers[0].json()["predictions"] == pytest.approx(answers[1].json()["predictions"], rel=1e-9)

        # Validation, limits, keys.
        short = [{k: v for k, v in row.items() if k != "hydrogen_ppm"} for row in records["dataframe_records"]]
        missing = client.post(f"/models/{MODEL}/predict", json={"dataframe_records": short}, headers=auth)
        assert missing.status_code == 422 and missing.json()["missing"] == ["hydrogen_ppm"]
        many = {"dataframe_records": records["dataframe_records"] * 10}
        assert client.post(f"/models/{MODEL}/predict", json=many, headers=auth).status_code == 413
        assert client.post(f"/models/{MODEL}/predict", json=records).status_code == 401
        assert client.post(f"/models/{MODEL}/predict", json=records, headers={"X-API-Key": "wrong"}).status_code == 403
        listed = client.get("/models", headers=auth).json()
        assert [(m["name"], m["champion"], m["serving"]) for m in listed] == [(MODEL, old, old)]
        assert "holdout_mae" in listed[0]["metrics"]
        assert f'model="{MODEL}"' in client.get("/metrics").text
        assert client.get("/forecast/PJME", params={"date": "2015-08-01"}, headers=auth).status_code == 404

        # Hot swap: requests flow through a retrain + promotion of a boosted version, then a rollback.
        sender = Sender(api.url, records)
        sender.start()
        try:
            _wait_until(lambda: old in sender.versions(), 30, "answers from the old version")
            monkeypatch.setenv("GRIDFLOW_TRANSFORMER_HEALTH__ESTIMATOR", "xgboost")
            reset_settings()
            boosted = retrain(model=MODEL, trigger="test: boosted challenger under traffic")
            new = boosted.version
            assert new != old
            if boosted.decision.action != "promote":  # the gate kept the forest: promote as an operator would
                apply_gate_decision(
                    warehouse(),
                    GateDecision(promote=True, metric="mae", challenger=0.0, champion=None, baseline=None,
                                 challenger_version=new, champion_version=old, reason="test: forced promotion"),
                    model_name=MODEL, actor="test", trigger="test", mlflow_run_id=None, metrics={})
            _wait_until(lambda: new in sender.versions(), 60, "the promoted version to answer")
            swapped_at = len(sender.answers)
            rollback_champion(warehouse(), MODEL, actor="test", reason="test: rollback under traffic")
            _wait_until(lambda: old in {v for _, v, _, _ in sender.answers[swapped_at:]}, 60, "the rollback")
        finally:
            sender.stop.set()
            sender.join(30)

    answers = sender.answers
    assert answers and all(status == 200 for status, _, _, _ in answers), {a[0] for a in answers}
    assert {version for _, version, _, _ in answers} == {old, new}
    assert all(version == header for _, version, header, _ in answers)  # one version per answer
    # Each version always gives the same predictions: no answer mixed two models.
    by_version: dict[str, set[str]] = {}
    for _, version, _, predictions in answers:
        by_version.setdefault(version, set()).add(predictions)
    assert all(len(outputs) == 1 for outputs in by_version.values()), by_version
    assert by_version[old] != by_version[new]
    order = [version for _, version, _, _ in answers]
    first_new = order.index(new)
    assert old in order[first_new:]  # the rollback came back after the promotion
