"""Run every benchmark and print a table: `python -m benchmarks [--rows N]`.

Each benchmark runs on fresh embedded stores under a temporary folder and a local Prefect server.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path


def main() -> None:
    """Parse arguments, set up isolated stores, run the benchmarks, print the table."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("--rows", type=int, default=1_000_000, help="synthetic hourly rows")
    parser.add_argument("--repeats", type=int, default=2, help="measured runs per side (best is kept)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="gridflow-bench-") as tmp:
        workdir = Path(tmp)
        os.environ["GRIDFLOW_HOME"] = str(workdir / "home")
        os.environ["GRIDFLOW_PREFECT_PORT"] = str(_free_port())
        from gridflow.config import get_settings
        from gridflow.prefect_env import configure_prefect
        from gridflow.services.prefect_server import LocalPrefectServer, ensure_running, stop

        settings = get_settings()
        server = LocalPrefectServer(home=settings.prefect_home, port=settings.prefect_port)
        ensure_running(server)
        configure_prefect(settings, server.api_url)
        try:
            from benchmarks import retrain_overhead

            rows = retrain_overhead.run(workdir, args.rows, args.repeats)
        finally:
            stop(server)
    print_table(rows)


def print_table(rows: list[dict]) -> None:
    """Markdown table, ready to paste into the README."""
    print("| benchmark | baseline | baseline (s) | measured (s) | ratio |")
    print("|---|---|---:|---:|---:|")
    for row in rows:
        print(f"| {row['benchmark']} | {row['baseline']} | {row['baseline_s']:.1f} | "
              f"{row['measured_s']:.1f} | {row['ratio']:.2f}x |")


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


if __name__ == "__main__":
    main()
