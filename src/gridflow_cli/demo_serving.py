"""The demo's serving step: transformer health trained twice (a champion and a challenger the gate
kept out), served by the scoring API with the challenger in shadow, one prediction shown with the
version that answered, then the shadow comparison on the measured health index.

The API runs in this process on a free loopback port with a key made for the run and never shown;
the stack's own API (`gridflow up`) serves the same champions to clients holding configured keys.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from gridflow.provenance import PROJECT_ROOT
from gridflow_cli.shell import settings_overridden

if TYPE_CHECKING:
    import httpx

    from gridflow.usecases.configs import ApiConfig

MODEL = "transformer_health"
READINGS = PROJECT_ROOT / "data" / "transformer" / "transformer_health_index.csv"


def serving_scenario(echo: Callable[[str], None], on_worker: bool = False) -> None:
    """Ingest the readings, train champion and challenger, serve with a shadow, print the comparison."""
    from flows.ingest_transformers import ingest_transformer_readings
    from gridflow_cli.demo_runs import run_flow

    summary = run_flow(ingest_transformer_readings, "transformer-file", on_worker=on_worker,
                       path=str(READINGS)).result
    echo(f"    {summary.status}: {summary.rows_read} transformer readings (DGA and oil tests)")
    challenger = _train_pair(echo)
    if challenger is None:
        echo("    the gate promoted the second model too: no challenger to shadow")
        return
    from gridflow.serving.auth import hash_key, new_key
    from gridflow.usecases.configs import ApiConfig, TrafficRule

    key = new_key()
    config = ApiConfig(keys={"demo": hash_key(key)}, models=[MODEL], log_flush_seconds=0.5,
                       traffic={MODEL: TrafficRule(mode="shadow", key="reading_id")})
    with _api(config) as url:
        first, rows = _post_readings(url, key, challenger)
    echo(f"    POST {url}/models/{MODEL}/predict (reading {first['reading_id']}): health index "
         f"{first['prediction']:.1f} from {MODEL} v{first['version']} ({first['arm']}); "
         f"v{challenger} scored it in shadow")
    echo(f"    {rows} held-out readings scored by both versions; shadow comparison on the measured health index:")
    for line in _comparison():
        echo(f"      {line}")


def _train_pair(echo: Callable[[str], None]) -> str | None:
    """Train XGBoost then a random forest; the challenger version the gate kept out, if any."""
    from flows.retrain import retrain
    from gridflow.registry import mlflow_registry as registry

    # The retrain reads its use case's settings from the environment, as a deployment run does; the
    # demo narrows them for its two estimators, so these two runs stay in this process.
    # Two CV repeats (not five) keep the demo short; `gridflow retrain transformer_health` runs all.
    for estimator in ("xgboost", "random_forest"):
        with settings_overridden({"GRIDFLOW_TRANSFORMER_HEALTH__ESTIMATOR": estimator,
                        "GRIDFLOW_TRANSFORMER_HEALTH__CV_REPEATS": "2"}):
            result = retrain(model=MODEL, trigger=f"demo: {estimator}")
        mae = result.evaluation.challenger.get("mae", float("nan"))
        echo(f"    {estimator}: v{result.version}, holdout MAE {mae:.2f} -> {result.decision.action}")
    champion = registry.alias_version_number(MODEL, registry.CHAMPION)
    challenger = registry.alias_version_number(MODEL, registry.CHALLENGER)
    return challenger if challenger != champion else None


def _post_readings(url: str, key: str, challenger: str) -> tuple[dict[str, Any], int]:
    import httpx

    from gridflow.config import section
    from gridflow.runtime import warehouse
    from gridflow.transformers import health_model as hm
    from gridflow.usecases.configs import TransformerHealthConfig
    from gridflow.warehouse.transformers import read_transformer_readings

    with warehouse().connect() as conn:
        raw = read_transformer_readings(conn)
    features = hm.build_features(raw)[hm.FEATURE_COLUMNS]
    features.insert(0, "reading_id", raw["reading_id"].to_numpy())
    # Only readings neither version trained on: an in-sample comparison favours the one that fits hardest.
    held_out = hm.in_holdout(raw["reading_id"], section(MODEL, TransformerHealthConfig).holdout_share)
    records = features[held_out].to_dict(orient="records")
    with httpx.Client(base_url=url, headers={"X-API-Key": key}, timeout=60) as client:
        # The two holders poll independently: wait for both, not for whichever loads first.
        _wait(lambda: _both_loaded(client.get("/ready"), challenger), 90)
        first = None
        for start in range(0, len(records), 20):
            answer = client.post(f"/models/{MODEL}/predict", json={"dataframe_records": records[start:start + 20]})
            answer.raise_for_status()
            if first is None:
                first = {"reading_id": records[0]["reading_id"], "prediction": answer.json()["predictions"][0],
                         "version": answer.json()["version"], "arm": answer.headers["X-Model-Arm"]}
    return first, len(records)


def _comparison() -> list[str]:
    from gridflow.experiments.data import evaluate
    from gridflow.experiments.report import text_lines
    from gridflow.runtime import warehouse

    return text_lines(evaluate(warehouse(), MODEL))


@contextmanager
def _api(config: ApiConfig) -> Iterator[str]:
    import socket

    import uvicorn

    from gridflow.serving.build import build_app

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(build_app(config), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="demo-api", daemon=True)
    thread.start()
    _wait(lambda: server.started, 30)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True  # the shutdown writes the prediction log's last batch
        thread.join(30)


def _wait(check: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if check():
                return
        except Exception:  # not listening yet
            pass
        if time.monotonic() > deadline:
            raise TimeoutError("the demo's scoring API did not become ready")
        time.sleep(0.2)


def _both_loaded(ready: httpx.Response, challenger: str) -> bool:
    return ready.status_code == 200 and ready.json().get("challengers") == {MODEL: challenger}
