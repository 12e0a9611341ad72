"""Storm scoring fanned out on a 2-worker local Dask cluster, against one process.

The baseline is `gridflow.storm.scoring.score_frame` over the whole feature frame of `rows`
synthetic assets (default 5,000,000) in this process: what the storm flow did before the fan-out.
The measured path is what `flows/storm_response.py` does between reading the area and storing its
scores, through Prefect: split the frame into chunks of `ceil(rows / 2)` (`split_features`), submit
the real `score-area-chunk` task once per chunk on `task_runner("dask")` (a fresh local cluster of
2 worker processes, one thread each, started and closed by the flow run as `GRIDFLOW_TASK_RUNNER=dask`
does), gather, join (`join_scores`); the joined scores must equal the baseline's exactly.

Both ways of telling a worker which model to use are timed: the reference (registered name and
version; each worker loads the champion from this run's MLflow store) and the loaded model pickled
with every chunk (what the flow does). Also, the same fan-out on an already running cluster
(`tcp://` address, second run: workers warm), on the threads runner, and the parts: cluster
start-up, the bytes and pickling time of a chunk and of the model, a worker's model load from
MLflow, when the first task run started after the last submit (shipping the chunk, and on a new
cluster the worker's imports) and how much of the slowest task run was scoring (the rest is
Prefect's: the cache key over the chunk's features, the persisted result). Each chunk scores with
one thread (`chunk_threads`: 2 cores, 2 chunks at once), the baseline with the booster's 2.

On 2 cores no speed-up is possible: one process's XGBoost already uses both, so the fan-out only
adds shipping the features (168 bytes an asset), worker start-up and Prefect's per-task work.
There is no `--quick`: `--rows 200000` runs in about 2.5 minutes, most of it training the champion.

The champion is trained by `flows.retrain.retrain` on a small history (as the storm e2e benchmark
does), so the model, its calibration and its MLflow load are the real ones.
"""

from __future__ import annotations

import math
import os
import pickle
import time
import warnings
from pathlib import Path
from typing import Any

WORKERS = 2
BASELINE_REPEATS = 2
# Shared with the benchmark flow: a feature frame of millions of rows is no flow parameter (Prefect
# would send parameters to its API).
_INPUT: dict[str, Any] = {}


def _fan_out_flow():
    """The fan-out as the storm flow runs it, as a flow of its own (built here, after the
    benchmark has pointed Prefect at its server)."""
    from prefect import flow

    from gridflow.storm.chunks import join_scores, split_features
    from gridflow.storm.responder import ModelRef
    from tasks.storm_response import score_area_chunk

    @flow(name="bench-storm-fan-out", persist_result=False, log_prints=False)
    def fan_out(rows_per_task: int, ship_model: bool) -> Any:
        marks = _INPUT["marks"] = {"body": time.perf_counter()}
        features = _INPUT["features"]
        ref = ModelRef(_INPUT["name"], _INPUT["version"], _INPUT["model"] if ship_model else None)
        chunks = split_features(features, rows_per_task)
        futures = [score_area_chunk.submit(chunk, ref) for chunk in chunks]
        marks["submitted"] = time.perf_counter()
        parts = [future.result() for future in futures]
        marks["gathered"] = time.perf_counter()
        scores = join_scores(parts, len(features))
        marks["joined"] = time.perf_counter()
        _INPUT["parts"] = parts
        return scores

    return fan_out


def _timed_run(fan_out, runner, rows_per_task: int, ship_model: bool) -> dict[str, Any]:
    import numpy as np

    started = time.perf_counter()
    state = fan_out.with_options(task_runner=runner)(rows_per_task, ship_model, return_state=True)
    ended = time.perf_counter()
    scores = state.result()
    marks, parts = _INPUT["marks"], _INPUT["parts"]
    if not np.array_equal(scores, _INPUT["expected"]):
        raise AssertionError("the fanned-out scores differ from single-process scoring")
    # Epoch seconds of this process's marks, to place the task runs (their start and end times
    # come from the API, stamped by the process that ran them: one machine, one clock).
    epoch = time.time() - time.perf_counter()
    runs = _task_runs(state.state_details.flow_run_id, len(parts))
    first_start = min(r.start_time.timestamp() for r in runs) - (epoch + marks["submitted"])
    return {
        "total": ended - started, "to_body": marks["body"] - started,
        # The first submit starts a local cluster (prefect-dask creates it on first use).
        "submit": marks["submitted"] - marks["body"], "gather": marks["gathered"] - marks["submitted"],
        "join": marks["joined"] - marks["gathered"], "after_body": ended - marks["joined"],
        "first_task_start": first_start,
        "task_run": max((r.end_time - r.start_time).total_seconds() for r in runs),
        "worker_load_model": max(p.seconds["load_model"] for p in parts),
        "worker_score": max(p.seconds["score"] for p in parts), "chunks": len(parts),
    }


def _task_runs(flow_run_id, count: int, timeout: float = 30) -> list:
    """The flow run's finished task runs; the server records them from events, a moment late."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    deadline = time.monotonic() + timeout
    with get_client(sync_client=True) as client:
        while True:
            runs = [r for r in client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(
                any_=[flow_run_id]))) if r.start_time and r.end_time]
            if len(runs) >= count or time.monotonic() > deadline:
                return runs
            time.sleep(0.5)


def _describe(r: dict[str, Any]) -> str:
    return (f"total {r['total']:.2f} s = flow start {r['to_body']:.2f} + submit {r['submit']:.2f} + gather "
            f"{r['gather']:.2f} + join {r['join']:.2f} + flow end {r['after_body']:.2f} ({r['chunks']} chunks; first "
            f"task run started {r['first_task_start']:.2f} s after the last submit; slowest task run "
            f"{r['task_run']:.2f} s, in it model load {r['worker_load_model']:.2f} + score {r['worker_score']:.2f})")


def _cluster_start() -> tuple[float, float]:
    """Seconds to start the local cluster the `dask` runner starts (workers ready), and to close it."""
    from distributed import Client, LocalCluster

    started = time.perf_counter()
    cluster = LocalCluster(n_workers=WORKERS, threads_per_worker=1, processes=True, dashboard_address=None)
    client = Client(cluster)
    client.wait_for_workers(WORKERS)
    up = time.perf_counter() - started
    started = time.perf_counter()
    client.close()
    cluster.close()
    return up, time.perf_counter() - started


def _worker_model_load(address: str, name: str, version: str) -> float:
    """Seconds a fresh worker process takes to load the champion from MLflow (imports included)."""
    from distributed import Client

    def load() -> float:
        began = time.perf_counter()
        from gridflow.storm.responder import ModelRef

        ModelRef(name, version).load()
        return time.perf_counter() - began

    with Client(address) as client:
        return max(client.run(load).values())


def run(workdir: Path, rows: int) -> list[dict]:
    """Baseline and fan-outs on `rows` synthetic assets (default 5,000,000)."""
    import numpy as np
    from distributed import LocalCluster
    from prefect.settings import (
        PREFECT_API_URL,
        PREFECT_LOGGING_TO_API_ENABLED,
        PREFECT_RESULTS_LOCAL_STORAGE_PATH,
        PREFECT_RESULTS_PERSIST_BY_DEFAULT,
        temporary_settings,
    )

    from benchmarks.storm_event_to_plan import train_champion
    from gridflow.config import get_settings
    from gridflow.registry import mlflow_registry as registry
    from gridflow.runtime import mlflow_ready
    from gridflow.storm.chunks import split_features
    from gridflow.storm.features import build_features, storm_attributes
    from gridflow.storm.inventory import generate_inventory
    from gridflow.storm.scoring import score_frame
    from gridflow.task_runners import task_runner

    # Shipping a chunk puts hundreds of MB in the task graph: distributed warns on every run.
    warnings.filterwarnings("ignore", message=".*[Ll]arge graph.*")
    warnings.filterwarnings("ignore", message=".*[Ll]arge object.*")
    os.environ["GRIDFLOW_TASK_WORKERS"] = str(WORKERS)
    settings = get_settings()
    rows_per_task = max(1_000, math.ceil(rows / WORKERS))
    # The workers inherit this environment: they find the server and this run's MLflow store.
    with temporary_settings(updates={
        PREFECT_API_URL: os.environ["PREFECT_API_URL"],
        PREFECT_LOGGING_TO_API_ENABLED: False,
        PREFECT_RESULTS_PERSIST_BY_DEFAULT: True,
        PREFECT_RESULTS_LOCAL_STORAGE_PATH: str(settings.prefect_home / "results"),
    }):
        started = time.perf_counter()
        version = train_champion()
        train_s = time.perf_counter() - started
        mlflow_ready()
        name = settings.storm.model_name
        model = registry.load_native_model(name, version)
        started = time.perf_counter()
        inventory = generate_inventory(rows, seed=0)
        alert = {"event": "Ice Storm Warning", "severity": "Severe", "max_wind_gust_mph": 35.0, "max_hail_in": None}
        features = build_features(inventory, storm_attributes(alert))
        del inventory
        data_s = time.perf_counter() - started

        baseline = float("inf")
        for _ in range(BASELINE_REPEATS):
            started = time.perf_counter()
            expected = score_frame(model, features, chunk_rows=settings.storm.score_chunk_rows)
            baseline = min(baseline, time.perf_counter() - started)
        _INPUT.update(features=features, name=name, version=version, model=model, expected=expected)

        chunk = split_features(features, rows_per_task)[0]
        started = time.perf_counter()
        chunk_bytes = len(pickle.dumps(chunk, protocol=5))
        chunk_pickle_s = time.perf_counter() - started
        model_bytes = len(pickle.dumps(model, protocol=5))
        cluster_up, cluster_down = _cluster_start()

        fan_out = _fan_out_flow()
        cold_ref = _timed_run(fan_out, task_runner("dask"), rows_per_task, ship_model=False)
        cold_model = _timed_run(fan_out, task_runner("dask"), rows_per_task, ship_model=True)
        threads = _timed_run(fan_out, task_runner("threads"), rows_per_task, ship_model=False)
        with LocalCluster(n_workers=WORKERS, threads_per_worker=1, processes=True,
                          dashboard_address=None) as cluster:
            worker_load = _worker_model_load(cluster.scheduler_address, name, version)
            _timed_run(fan_out, task_runner(cluster.scheduler_address), rows_per_task, ship_model=False)
            warm = _timed_run(fan_out, task_runner(cluster.scheduler_address), rows_per_task, ship_model=False)

    cold = min((cold_ref, cold_model), key=lambda r: r["total"])
    print(f"storm scoring fan-out, {rows:,} assets in chunks of {rows_per_task:,} on {WORKERS} worker processes "
          f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores):")
    print(f"  one process (score_frame): {baseline:.2f} s (best of {BASELINE_REPEATS})")
    print(f"  dask, new local cluster, model reference: {_describe(cold_ref)}")
    print(f"  dask, new local cluster, model shipped:   {_describe(cold_model)}")
    print(f"  dask, running cluster (tcp://), warm:     {_describe(warm)}")
    print(f"  threads (no Dask):                        {_describe(threads)}")
    print(f"  parts: cluster start {cluster_up:.2f} s, close {cluster_down:.2f} s; a chunk pickles to "
          f"{chunk_bytes / 1e6:,.0f} MB in {chunk_pickle_s:.2f} s; the model to {model_bytes / 1e6:.1f} MB; a fresh "
          f"worker loads it from MLflow in {worker_load:.2f} s")
    print(f"  (training outage_risk v{version}: {train_s:.1f} s; inventory and features: {data_s:.1f} s; "
          f"{np.asarray(expected).nbytes / 1e6:.0f} MB of scores)")
    shipped = "model shipped" if cold is cold_model else "model reference"
    return [
        {"benchmark": f"storm scoring fanned out on a new 2-worker local Dask cluster ({shipped}), "
                      f"{rows:,} assets in {cold['chunks']} chunks",
         "baseline": f"score_frame in one process, same frame (best of {BASELINE_REPEATS})",
         "baseline_s": baseline, "measured_s": cold["total"], "ratio": cold["total"] / baseline},
        {"benchmark": f"same on an already running 2-worker cluster (tcp://, warm), {rows:,} assets",
         "baseline": f"score_frame in one process, same frame (best of {BASELINE_REPEATS})",
         "baseline_s": baseline, "measured_s": warm["total"], "ratio": warm["total"] / baseline},
    ]
