"""The retrain flow against the same work as a plain Python function, on a large synthetic frame.

Both sides call the very same task bodies on the same warehouse, MLflow store and Prefect server;
the flow side adds what orchestration costs: task runs, persisted results and cache keys. A second
row isolates the part that grows with the data: persisting the flow's two large results (training
data, features) and computing the content cache keys of the tasks that take them, by reference
(content-addressed parquet, digest remembered) against pickled into the result as before.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

ENV = {
    "GRIDFLOW_LOAD_FORECAST__HOLDOUT_DAYS": "90",
    "GRIDFLOW_LOAD_FORECAST__ZONES": '["Z00","Z01","Z02","Z03","Z04","Z05","Z06","Z07","Z08","Z09"]',
    "GRIDFLOW_LOAD_FORECAST__BACKTEST_FOLDS": "1",
    "GRIDFLOW_LOAD_FORECAST__BACKTEST_TEST_DAYS": "28",
}


def plain_retrain(model: str) -> dict:
    """The retrain flow's steps as plain function calls, no Prefect run around them."""
    from tasks import training as t

    data = t.load_training_data.fn(model)
    validation = t.validate_training_data.fn(model, data)
    features = t.build_features.fn(model, data)
    fitted = t.train_challenger.fn(model, features)
    backtest = t.join_backtest.fn(model, [t.backtest_part.fn(model, features, part)
                                          for part in t.plan_backtest.fn(model, features)])
    evaluation = t.evaluate_against_champion.fn(model, fitted, features, backtest)
    logged = t.register_challenger.fn(model, fitted, evaluation, data, validation, features, "benchmark")
    decision = t.gate_challenger.fn(model, evaluation, logged)
    move = t.apply_decision.fn(model, decision, logged, evaluation, "benchmark")
    t.publish_evaluation_report.fn(model, evaluation, decision, logged, move, "benchmark")
    return {"version": logged.version}


def run(workdir: Path, rows: int, repeats: int = 2) -> list[dict]:
    """Alternate plain and flow runs `repeats` times on `rows` synthetic rows; best of each side.

    Every measured run gets a fresh MLflow store, so both sides do identical work (no champion
    to score) and neither benefits from going second.
    """
    os.environ.update(ENV)
    from benchmarks.synthetic import synthetic_hourly_load
    from flows.retrain import retrain
    from gridflow import runtime as common
    from gridflow.config import reset_settings
    from gridflow.warehouse.loads import write_load_observations

    frame = synthetic_hourly_load(rows)
    with common.warehouse().begin() as conn:
        write_load_observations(conn, frame, None)

    sides = {
        "plain": lambda: plain_retrain("load_forecast"),
        "flow": lambda: retrain(model="load_forecast", trigger="benchmark"),
    }
    best = {name: float("inf") for name in sides}
    for attempt in range(repeats):
        for name, call in sides.items():
            os.environ["GRIDFLOW_MLFLOW_TRACKING_URI"] = f"sqlite:///{workdir / f'mlflow-{name}-{attempt}.db'}"
            reset_settings()
            common.mlflow_ready.cache_clear()
            started = time.perf_counter()
            call()
            best[name] = min(best[name], time.perf_counter() - started)
    return [*persistence_rows(frame, workdir, repeats=3), {
        "benchmark": f"retrain flow vs plain function ({rows:,} hourly rows, {frame['zone'].nunique()} zones)",
        "baseline": f"same task bodies called directly (best of {repeats})",
        "baseline_s": best["plain"],
        "measured_s": best["flow"],
        "ratio": best["flow"] / best["plain"],
    }]


# How often the flow's cache keys take each large result as an input (see flows/retrain.py).
_KEYED = {"data": 3, "features": 5}  # validate, features, register / train, plan, part, evaluate, register


def persistence_rows(raw, workdir: Path, repeats: int) -> list[dict]:
    """Persist the flow's large results and compute their cache keys, pickled vs by reference."""
    import gc

    from prefect.filesystems import LocalFileSystem
    from prefect.results import ResultStore
    from prefect.serializers import PickleSerializer
    from prefect.settings import PREFECT_RESULTS_LOCAL_STORAGE_PATH, temporary_settings

    from gridflow import fingerprint as fp
    from gridflow.training.data import TrainingData, dataset_digest
    from gridflow.usecases.catalog import get_use_case
    from tasks.frame_results import FrameResultSerializer

    results = {"data": TrainingData(raw, dataset_digest(raw), "synthetic"),
               "features": get_use_case("load_forecast").build_features(raw)}
    best = {"pickled": float("inf"), "by reference": float("inf")}
    for attempt in range(repeats):
        for name, serializer in (("pickled", PickleSerializer()), ("by reference", FrameResultSerializer())):
            folder = workdir / f"results-{name.replace(' ', '-')}-{attempt}"
            fp._REMEMBERED.clear()  # what a new run starts from
            gc.collect()
            with temporary_settings({PREFECT_RESULTS_LOCAL_STORAGE_PATH: folder}):
                store = ResultStore(result_storage=LocalFileSystem(basepath=str(folder)), serializer=serializer)
                started = time.perf_counter()
                for key, value in results.items():
                    store.persist_result_record(store.create_result_record(value, key=key))
                    for _ in range(_KEYED[key]):
                        fp.fingerprint({"model": "load_forecast", key: value})
                best[name] = min(best[name], time.perf_counter() - started)
    return [{
        "benchmark": f"retrain's large results ({len(raw):,} load rows, {len(results['features']):,} feature rows): "
                     f"persisted and cache-keyed by reference (content-addressed parquet, digest remembered)",
        "baseline": f"pickled into the result record and hashed for every cache key, as before (best of {repeats})",
        "baseline_s": best["pickled"],
        "measured_s": best["by reference"],
        "ratio": best["by reference"] / best["pickled"],
    }]
