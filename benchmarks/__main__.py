"""Run the benchmarks and print a table: `python -m benchmarks [--only NAME] [--rows N]`.

Each benchmark runs on fresh embedded stores under a temporary folder and a local Prefect server,
and measures its raw baseline in the same run. The table's ratio is always measured time over
baseline time (lower is better; 1.43x is 0.7x of the baseline's throughput).
"""

from __future__ import annotations

import argparse
import importlib
import os
import tempfile
from pathlib import Path

# name -> (module, default rows)
BENCHMARKS = {
    "retrain": ("benchmarks.retrain_overhead", 1_000_000),
    "meters": ("benchmarks.meter_ingest", 10_000_000),
    "drift": ("benchmarks.drift_check", 1_000_000),
    "features": ("benchmarks.feature_build", 1_000_000),
    "storm": ("benchmarks.storm_scoring", 1_000_000),
    "storm-e2e": ("benchmarks.storm_event_to_plan", 1_000_000),
    "storm-dask": ("benchmarks.storm_scoring_dask", 5_000_000),
    "fleet": ("benchmarks.fleet_retrain", 10),  # zones (at most the 10 shipped)
    "zone-accuracy": ("benchmarks.zone_accuracy", 10),  # zones; prints the per-zone accuracy table
    "issue": ("benchmarks.issue_forecast", 100),  # zones
    "stream": ("benchmarks.stream_throughput", 20_000),  # readings
    "api": ("benchmarks.api_throughput", 1_000),  # rows of the large request
}


def main() -> None:
    """Parse arguments, set up isolated stores, run the chosen benchmarks, print the table."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("--only", action="append", choices=sorted(BENCHMARKS), help="run only these")
    parser.add_argument("--rows", type=int, default=None, help="rows for every chosen benchmark")
    args = parser.parse_args()

    rows: list[dict] = []
    for name in args.only or list(BENCHMARKS):
        module_name, default_rows = BENCHMARKS[name]
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError:
            print(f"skipping {name}: {module_name} is not there yet")
            continue
        with tempfile.TemporaryDirectory(prefix=f"gridflow-bench-{name}-") as tmp:
            rows += _run_isolated(module, Path(tmp), args.rows or default_rows)
    print_table(rows)


def _run_isolated(module, workdir: Path, rows: int) -> list[dict]:
    os.environ["GRIDFLOW_HOME"] = str(workdir / "home")
    os.environ["GRIDFLOW_PREFECT_PORT"] = str(_free_port())
    for key in ("GRIDFLOW_WAREHOUSE_URL", "GRIDFLOW_MLFLOW_TRACKING_URI"):
        os.environ.pop(key, None)
    from gridflow import runtime as common
    from gridflow.config import get_settings, reset_settings
    from gridflow.prefect_env import configure_prefect
    from gridflow.services.prefect_server import LocalPrefectServer, ensure_running, stop

    reset_settings()
    common.warehouse.cache_clear()
    common.mlflow_ready.cache_clear()
    settings = get_settings()
    server = LocalPrefectServer(home=settings.prefect_home, port=settings.prefect_port)
    ensure_running(server)
    configure_prefect(settings, server.api_url)
    try:
        return module.run(workdir, rows)
    finally:
        stop(server)


def print_table(rows: list[dict]) -> None:
    """Markdown table, ready to paste into the README."""
    print("| benchmark | baseline | baseline (s) | measured (s) | measured / baseline |")
    print("|---|---|---:|---:|---:|")
    for row in rows:
        ratio = row["measured_s"] / row["baseline_s"]
        print(f"| {row['benchmark']} | {row['baseline']} | {row['baseline_s']:.1f} | "
              f"{row['measured_s']:.1f} | {ratio:.2f}x |")


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


if __name__ == "__main__":
    main()
