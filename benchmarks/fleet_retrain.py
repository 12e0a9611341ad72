"""A fleet retrain of the ten shipped PJM zones: one after another, on 2 threads, on a 2-worker Dask cluster.

`rows` is the number of zones (default 10, at most the ten shipped: PJME and data/pjm_zones/*).
Each zone's load from TRAIN_START on is ingested with `flows.ingest_pjm_load.ingest_pjm_load` (a
copy of the shipped file cut at that date; `FIRST_LABEL` also cuts FE at 2011-07-01 whenever FE is
ingested from further back: its one 0.0 MW reading, 2011-06-01 01:00, makes the pjm_load suite
quarantine the whole file). Each zone is then trained as `load_forecast.<ZONE>` on three years
(2014-2016; holdout 2017-01-01 to the data's end, 2018-08-03) with a smaller booster than the
shipped one (the test fixtures' 120 trees, depth 6), one 28-day backtest fold and no weather (only
PJME has a site): one zone retrain takes 7-11 s of wall time here (4-5 CPU-s), more on a busy host.

- baseline: the same `retrain_fleet` on `task_runner("threads")` with `GRIDFLOW_TASK_WORKERS=1`:
  the zones one after another, each the retrain flow nested in the fleet's per-zone task. Chosen
  over calling the retrain flow in a loop: the fleet's own work (plan, the per-zone task, the
  settled-zone look-up, the fleet report) is then on both sides, so the ratio is the fan-out alone.
- threads: the same on `task_runner("threads")` with `GRIDFLOW_TASK_WORKERS=2`.
- dask: `retrain_fleet` on `task_runner("dask")`: a new local cluster of 2 worker processes (one
  thread each), started and closed by the run, as `GRIDFLOW_TASK_RUNNER=dask` does; its start-up
  and the workers' imports are part of the measured time.

OpenMP waits passively (`OMP_WAIT_POLICY=PASSIVE`, set before XGBoost loads, inherited by the Dask
workers; a value already in the environment is kept): with libgomp's default spin-wait, a single
XGBoost fit (`n_jobs=2`) on a host whose cores other jobs also use burns 6-10x the CPU spinning at
barriers for a descheduled partner thread, while two fits at once in one process are throttled by
libgomp and do not; the ratio would then measure libgomp's spin policy, not the fan-out.

Every side starts on a fresh MLflow store (no champion: every zone trains, registers and is
promoted); a one-zone warm-up fleet run first pays this process's imports. Every zone must be trained
on every side, and the challengers' metrics must be identical on all three (XGBoost is seeded
and runs with a fixed `n_jobs`).

CPU time: this process and its reaped children (the Dask workers) from `resource.getrusage`, and
the Prefect server (a live child) from psutil, each as a difference over one side's run. The
baseline's CPU-seconds per zone is the figure the capacity estimate in the README starts from.
"""

from __future__ import annotations

import json
import os
import resource
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from gridflow.provenance import PROJECT_ROOT

ZONE_FILES = {
    "PJME": PROJECT_ROOT / "data" / "PJME_hourly.csv",
    **{zone: PROJECT_ROOT / "data" / "pjm_zones" / f"{zone}_hourly.csv"
       for zone in ("AEP", "COMED", "DAYTON", "DEOK", "DOM", "DUQ", "EKPC", "FE", "PJMW")},
}
# FE's 2011-06-01 01:00 reading is 0.0 MW: the pjm_load suite quarantines the file with it.
FIRST_LABEL = {"FE": "2011-07-01"}
TRAIN_START = "2014-01-01"
WORKERS = 2
ENV = {
    "GRIDFLOW_LOAD_FORECAST__MODEL_PER_ZONE": "true",
    "GRIDFLOW_LOAD_FORECAST__TRAIN_START": TRAIN_START,
    "GRIDFLOW_LOAD_FORECAST__HOLDOUT_START": "2017-01-01",
    "GRIDFLOW_LOAD_FORECAST__BACKTEST_FOLDS": "1",
    "GRIDFLOW_LOAD_FORECAST__BACKTEST_TEST_DAYS": "28",
    "GRIDFLOW_LOAD_FORECAST__XGB_PARAMS": '{"n_estimators": 120, "max_depth": 6, "learning_rate": 0.1}',
    "GRIDFLOW_WEATHER__SITES": "[]",
    "GRIDFLOW_TASK_WORKERS": str(WORKERS),
}


def shipped_zones(rows: int) -> list[str]:
    """The first `rows` shipped zones (`--rows` is a number of zones here; more than ten means all ten)."""
    if rows < 1:
        raise ValueError("--rows is the number of zones: at least 1")
    if rows > len(ZONE_FILES):
        print(f"--rows {rows:,}: only {len(ZONE_FILES)} zones are shipped; using all {len(ZONE_FILES)}")
    return list(ZONE_FILES)[:rows]


def passive_openmp() -> str:
    """Ask OpenMP (XGBoost's threads) to sleep rather than spin while it waits; says whether it applies
    to this process (libgomp reads it once, when it loads; a value set earlier is kept)."""
    preset = "OMP_WAIT_POLICY" in os.environ
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    maps = Path("/proc/self/maps")
    loaded = maps.exists() and "libgomp" in maps.read_text()
    note = " (OpenMP was already loaded without it: not in effect in this process)" if loaded and not preset else ""
    return f"OMP_WAIT_POLICY={os.environ['OMP_WAIT_POLICY']}{note}"


def zone_excerpt(zone: str, folder: Path, first_label: str | None = None) -> Path:
    """The zone's shipped Kaggle file from `first_label` (local label, inclusive) on, in its original
    row order, written to `folder`; the shipped file itself when there is nothing to cut."""
    import pandas as pd

    source = ZONE_FILES[zone]
    start = max(filter(None, (first_label, FIRST_LABEL.get(zone))), default=None)
    if start is None:
        return source
    raw = pd.read_csv(source, dtype=str)
    path = folder / source.name
    raw[raw["Datetime"] >= start].to_csv(path, index=False)
    return path


def ingest_zones(zones: list[str], folder: Path, first_label: str | None = None) -> dict[str, int]:
    """Ingest each zone's file (cut to `first_label` on) through the ingest flow; rows loaded per zone."""
    from flows.ingest_pjm_load import ingest_pjm_load

    folder.mkdir(parents=True, exist_ok=True)
    loaded = {}
    for zone in zones:
        report = ingest_pjm_load(str(zone_excerpt(zone, folder, first_label)))
        if report.status != "loaded":
            raise AssertionError(f"{zone}: ingest ended {report.status}: {report.reason}")
        loaded[zone] = report.rows_written
    return loaded


def use_mlflow_store(workdir: Path, name: str) -> None:
    """Point this process (and worker processes started from now on) at a fresh MLflow store."""
    from gridflow import runtime as common
    from gridflow.config import reset_settings

    os.environ["GRIDFLOW_MLFLOW_TRACKING_URI"] = f"sqlite:///{workdir / f'mlflow-{name}.db'}"
    os.environ["GRIDFLOW_MLFLOW_ARTIFACT_ROOT"] = (workdir / f"mlartifacts-{name}").as_uri()
    reset_settings()
    common.mlflow_ready.cache_clear()


def challenger_metrics(zones: list[str]) -> dict[str, dict[str, float]]:
    """Per zone, the challenger metrics the gate decided on, as audited for the zone's champion
    (in the MLflow store in use: every zone's only version)."""
    from gridflow import runtime as common
    from gridflow.registry import mlflow_registry as registry
    from gridflow.usecases.naming import zone_model_name
    from gridflow.warehouse import audit

    common.mlflow_ready()
    out = {}
    with common.warehouse().connect() as conn:
        for zone in zones:
            model = zone_model_name("load_forecast", zone)
            champion = registry.alias_version(model, registry.CHAMPION)
            if champion is None or champion.run_id is None:
                raise AssertionError(f"{model}: no champion in this side's MLflow store")
            row = audit.decision_for_run(conn, model, champion.run_id)
            if row is None:
                raise AssertionError(f"{model}: no audited decision for run {champion.run_id}")
            out[zone] = dict((row.get("metrics") or {})["challenger"])
    return out


def _own_cpu() -> float:
    """CPU seconds of this process and its reaped children (a closed Dask cluster's workers)."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _live_children_cpu() -> dict[int, float]:
    """CPU seconds of each live child process (the Prefect server), by pid."""
    import psutil

    out = {}
    for child in psutil.Process().children(recursive=True):
        try:
            times = child.cpu_times()
        except psutil.Error:
            continue
        out[child.pid] = times.user + times.system
    return out


def measure(call) -> dict[str, Any]:
    """Wall seconds, CPU seconds of this process + reaped children, and of the live children
    (present before and after), around `call()`; `result` is what it returned, `peak_mb` this
    process's peak resident memory so far."""
    before_cpu, before_live = _own_cpu(), _live_children_cpu()
    started = time.perf_counter()
    result = call()
    wall = time.perf_counter() - started
    after_live = _live_children_cpu()
    server = sum(after_live[pid] - before_live[pid] for pid in after_live.keys() & before_live.keys())
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # this process, so far
    return {"wall": wall, "cpu": _own_cpu() - before_cpu, "server_cpu": server, "peak_mb": peak_mb, "result": result}


def _fleet(zones: list[str], trigger: str, spec: str, workers: int = WORKERS) -> list[Any]:
    """`retrain_fleet` over `zones` on the `spec` runner with `workers` workers; every zone trained."""
    from flows.retrain_fleet import retrain_fleet
    from gridflow.config import reset_settings
    from gridflow.task_runners import task_runner

    os.environ["GRIDFLOW_TASK_WORKERS"] = str(workers)
    reset_settings()
    outcomes = retrain_fleet.with_options(task_runner=task_runner(spec))(
        use_case="load_forecast", zones=zones, trigger=trigger)
    failed = [f"{o.zone}: {o.reason}" for o in outcomes if o.failed]
    if failed or len(outcomes) != len(zones):
        raise AssertionError(f"{spec}: {len(outcomes)} outcomes for {len(zones)} zones; failed: {failed}")
    return outcomes


def _cluster_start() -> float:
    """Seconds until a local cluster like the `dask` runner's has its workers up (then closed)."""
    from distributed import Client, LocalCluster

    started = time.perf_counter()
    with LocalCluster(n_workers=WORKERS, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        client.wait_for_workers(WORKERS)
        return time.perf_counter() - started


def _drain_api_logs() -> None:
    """Send the run logs still queued for the Prefect API now: the harness stops the server next."""
    from prefect.logging.handlers import APILogWorker

    APILogWorker.drain_all(timeout=5)


@contextmanager
def this_runs_prefect() -> Iterator[None]:
    """Prefect reads its settings once per process: point it at the server and result storage the
    harness exported for this benchmark (a later benchmark in the same process has a new server)."""
    from prefect.settings import (
        PREFECT_API_URL,
        PREFECT_RESULTS_LOCAL_STORAGE_PATH,
        PREFECT_RESULTS_PERSIST_BY_DEFAULT,
        temporary_settings,
    )

    with temporary_settings(updates={
        PREFECT_API_URL: os.environ["PREFECT_API_URL"],
        PREFECT_RESULTS_PERSIST_BY_DEFAULT: True,
        PREFECT_RESULTS_LOCAL_STORAGE_PATH: os.environ["PREFECT_RESULTS_LOCAL_STORAGE_PATH"],
    }):
        try:
            yield
        finally:
            _drain_api_logs()


def run(workdir: Path, rows: int) -> list[dict]:
    """Ingest `rows` zones (default 10), then time the three sides on fresh MLflow stores."""
    with this_runs_prefect():
        return _run(workdir, rows)


def _run(workdir: Path, rows: int) -> list[dict]:
    from gridflow.config import reset_settings

    zones = shipped_zones(rows)
    openmp = passive_openmp()
    os.environ.update(ENV | {"GRIDFLOW_LOAD_FORECAST__ZONES": json.dumps(zones)})
    reset_settings()

    started = time.perf_counter()
    loaded = ingest_zones(zones, workdir / "zones", first_label=TRAIN_START)
    ingest_s = time.perf_counter() - started

    try:
        # Imports and first-call costs of this process, paid before anything is timed.
        use_mlflow_store(workdir, "warm-up")
        warm = measure(lambda: _fleet(zones[:1], "benchmark: warm-up", "threads", workers=1))

        sides = {
            "sequential": lambda: _fleet(zones, "benchmark: sequential", "threads", workers=1),
            "threads": lambda: _fleet(zones, "benchmark: threads", "threads"),
            "dask": lambda: _fleet(zones, "benchmark: dask", "dask"),
        }
        results, metrics, load = {}, {}, {}
        for name, call in sides.items():
            use_mlflow_store(workdir, name)
            load[name] = os.getloadavg()[0]
            results[name] = measure(call)
            metrics[name] = challenger_metrics(zones)
            for o in results[name]["result"]:
                if o.challenger != metrics[name][o.zone][o.metric]:
                    raise AssertionError(f"{name}: {o.zone}'s outcome says {o.metric} {o.challenger}, its audit row "
                                         f"{metrics[name][o.zone][o.metric]}")
        for name in ("threads", "dask"):
            differing = [zone for zone in zones if metrics[name][zone] != metrics["sequential"][zone]]
            if differing:
                raise AssertionError(f"{name}: challenger metrics differ from the sequential side's for {differing}")
        cluster_up = _cluster_start()
    finally:  # the next benchmark in this process gets the harness's stores, not this run's last one
        for key in ("GRIDFLOW_MLFLOW_TRACKING_URI", "GRIDFLOW_MLFLOW_ARTIFACT_ROOT"):
            os.environ.pop(key, None)
        reset_settings()

    base = results["sequential"]
    per_zone = base["cpu"] / len(zones)
    mapes = sorted(m["mape"] for m in metrics["sequential"].values())
    print(f"fleet retrain, {len(zones)} zone(s) ({', '.join(zones)}; {sum(loaded.values()):,} hourly rows from "
          f"{TRAIN_START} ingested in {ingest_s:.1f} s), {os.cpu_count()} cores, {openmp}:")
    print(f"  warm-up (1 zone, not counted): {warm['wall']:.1f} s")
    for name, r in results.items():
        print(f"  {name:10s} wall {r['wall']:6.1f} s ({r['wall'] / base['wall']:.2f}x), CPU {r['cpu']:6.1f} s "
              f"({r['cpu'] / len(zones):.1f} s per zone) + Prefect server {r['server_cpu']:.1f} s; "
              f"load average {load[name]:.1f} at its start; this process's peak RSS so far {r['peak_mb']:,.0f} MB")
    print(f"  CPU-seconds per zone retrain (1 thread, this process): {per_zone:.1f} "
          f"(+ {base['server_cpu'] / len(zones):.1f} on the Prefect server)")
    print(f"  challenger metrics identical on all three sides; holdout MAPE {mapes[0]:.2f}-{mapes[-1]:.2f} %")
    print(f"  a 2-worker local Dask cluster alone takes {cluster_up:.1f} s to start")
    label = f"{len(zones)} zone retrain(s) (`load_forecast.<zone>`, ~3 years each, 120 trees)"
    baseline = f"the same fleet on 1 thread: zones one after another ({per_zone:.1f} CPU-s per zone)"
    return [
        {"benchmark": f"fleet retrain on 2 threads: {label}", "baseline": baseline,
         "baseline_s": base["wall"], "measured_s": results["threads"]["wall"],
         "ratio": results["threads"]["wall"] / base["wall"]},
        {"benchmark": f"fleet retrain on a new 2-worker local Dask cluster: {label}", "baseline": baseline,
         "baseline_s": base["wall"], "measured_s": results["dask"]["wall"],
         "ratio": results["dask"]["wall"] / base["wall"]},
    ]
