"""The scoring API on loopback against calling the same model in-process.

Two transformer-health models are registered in a fresh MLflow store (the XGBoost challenger and
the random-forest champion of the use case, fitted on the shipped readings) and served by
`gridflow api` in its own process. A client in this process sends one-row and 1,000-row
`dataframe_split` requests one after another over a kept-alive connection (bounded by count and
time); the baseline is `model.predict` on the same frames, the same number of times, in-process.
Goals (issue 12): one-row p50 under 10 ms; 1,000-row throughput at least 0.8x in-process
(ratio at most 1.25x).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

KEY = "gfk_benchmark-key"
SHIPPED = Path(__file__).resolve().parents[1] / "data" / "transformer" / "transformer_health_index.csv"
MODELS = {"bench_boosted": "xgboost", "bench_forest": "random_forest"}
LIMITS = {1: (2_000, 20.0), 1_000: (200, 20.0)}  # rows per request -> (max requests, max seconds)


def _features() -> pd.DataFrame:
    from gridflow.sources.transformer_dga import parse_transformer_csv
    from gridflow.transformers import health_model as hm

    return hm.build_features(parse_transformer_csv(SHIPPED).frame)


def _register(features: pd.DataFrame) -> None:
    from gridflow.registry import mlflow_registry as registry
    from gridflow.runtime import mlflow_ready
    from gridflow.transformers import health_model as hm

    mlflow_ready()
    inputs = features[hm.FEATURE_COLUMNS]
    for name, estimator in MODELS.items():
        model = hm.make_estimator(estimator).fit(inputs, features[hm.TARGET])
        logged = registry.log_challenger(
            model_name=name, experiment_id=registry.ensure_experiment(name), model=model, params={}, metrics={},
            tags={}, training_frame=features[[*hm.FEATURE_COLUMNS, hm.TARGET]], training_source={"bench": "api"},
            target=hm.TARGET, input_example=inputs.head(3))
        registry.set_alias(name, registry.CHAMPION, logged.version)


def _start_api(port: int, workdir: Path, log_predictions: bool = True) -> subprocess.Popen:
    from gridflow.serving.auth import hash_key

    env = {**os.environ, "GRIDFLOW_API__KEYS": json.dumps({"bench": hash_key(KEY)}),
           "GRIDFLOW_API__MODELS": json.dumps(list(MODELS)), "GRIDFLOW_API__MAX_ROWS": "1000",
           "GRIDFLOW_API__LOG_PREDICTIONS": "true" if log_predictions else "false"}
    log = (workdir / f"api-log-{log_predictions}.log").open("wb")
    return subprocess.Popen([sys.executable, "-m", "gridflow_cli", "api", "--port", str(port)], env=env,
                            stdout=log, stderr=subprocess.STDOUT)


def _wait_ready(client, process: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the API process exited; see api.log")
        try:
            if client.get("/ready").status_code == 200:
                return
        except Exception:  # not listening yet
            pass
        time.sleep(0.2)
    raise RuntimeError("the API never became ready")


def _time_api(client, name: str, frame: pd.DataFrame, max_requests: int, max_seconds: float) -> list[float]:
    body = json.dumps({"dataframe_split": {"columns": list(frame.columns), "data": frame.to_numpy().tolist()}})
    headers = {"X-API-Key": KEY, "Content-Type": "application/json"}
    for _ in range(10):  # connection and first-call costs out of the timing
        client.post(f"/models/{name}/predict", content=body, headers=headers).raise_for_status()
    latencies: list[float] = []
    deadline = time.monotonic() + max_seconds
    while len(latencies) < max_requests and time.monotonic() < deadline:
        started = time.perf_counter()
        answer = client.post(f"/models/{name}/predict", content=body, headers=headers)
        latencies.append(time.perf_counter() - started)
        answer.raise_for_status()
    return latencies


def _time_in_process(model, frame: pd.DataFrame, count: int) -> float:
    model.predict(frame)
    started = time.perf_counter()
    for _ in range(count):
        model.predict(frame)
    return time.perf_counter() - started


def _percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def run(workdir: Path, rows: int = 1_000) -> list[dict]:
    """One table row per (model, request size): API time for N requests vs N in-process predicts;
    then the XGBoost large-request case again with the prediction log off (what logging every row
    costs the request path: its writer shares the GIL)."""
    from gridflow.transformers import health_model as hm

    features = _features()
    _register(features)
    inputs = features[hm.FEATURE_COLUMNS]
    frames = {1: inputs.head(1), rows: pd.concat([inputs] * (rows // len(inputs) + 1)).head(rows)}
    with _served_api(workdir, log_predictions=True) as client:
        out = [_measure(client, name, estimator, frame, "") for name, estimator in MODELS.items()
               for frame in frames.values()]
    with _served_api(workdir, log_predictions=False) as client:
        out.append(_measure(client, "bench_boosted", MODELS["bench_boosted"], frames[rows], ", prediction log off"))
    return out


@contextmanager
def _served_api(workdir: Path, log_predictions: bool) -> Iterator[Any]:
    import httpx

    from benchmarks.__main__ import _free_port

    port = _free_port()
    process = _start_api(port, workdir, log_predictions)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
            _wait_ready(client, process)
            yield client
    finally:
        process.terminate()
        process.wait(30)


def _measure(client, name: str, estimator: str, frame: pd.DataFrame, variant: str) -> dict:
    from gridflow.registry import mlflow_registry as registry
    from gridflow.serving.registry_source import load_served

    # Loaded as the API loads it (one thread per predict), so only the HTTP path differs.
    model = load_served(name, registry.alias_version_number(name, registry.CHAMPION)).model
    size = len(frame)
    latencies = _time_api(client, name, frame, *LIMITS.get(size, LIMITS[1_000]))
    api_s = sum(latencies)
    rate = len(latencies) / api_s
    local_s = _time_in_process(model, frame, len(latencies))
    return {
        "benchmark": f"scoring API, {estimator}, {size:,}-row requests x {len(latencies):,}{variant} "
                     f"(p50 {statistics.median(latencies) * 1000:.1f} ms, "
                     f"p99 {_percentile(latencies, 99) * 1000:.1f} ms, "
                     f"{rate:,.0f} req/s, {size * rate:,.0f} rows/s)",
        "baseline": f"in-process predict ({local_s / len(latencies) * 1000:.1f} ms each)",
        "baseline_s": local_s,
        "measured_s": api_s,
        "ratio": api_s / local_s,
        "p50_ms": statistics.median(latencies) * 1000,
    }


if __name__ == "__main__":
    import tempfile

    from benchmarks.__main__ import print_table

    with tempfile.TemporaryDirectory() as tmp:
        print_table(run(Path(tmp), int(sys.argv[1]) if len(sys.argv) > 1 else 1_000))
