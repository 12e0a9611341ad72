"""Holdout accuracy of a model per zone with the SHIPPED parameters: `load_forecast.<ZONE>` for the
ten shipped PJM zones against the seasonal-naive baseline, as a markdown table for the README.

Settings are the defaults of `LoadForecastConfig` (XGBoost 600 trees, depth 8, learning rate 0.05;
train before 2015-01-01 local, holdout from 2015-01-01 to the data's end, 2018-08-03), with two
exceptions: `BACKTEST_FOLDS=0` (the rolling-origin backtest is not part of the holdout figure and
would cost four more fits per zone) and `MODEL_PER_ZONE=true`. Each zone trains on its full shipped
history, ingested with `flows.ingest_pjm_load.ingest_pjm_load`; FE from 2011-07-01 on (its 0.0 MW
reading of 2011-06-01 01:00 makes the pjm_load suite quarantine the whole file). The default
weather sites are kept: PJME is trained with BWI weather (the shipped GHCN-Daily history is
ingested for it), the nine other zones have no site and train without weather features.

A zone whose history before the default holdout is shorter than the two years the conformal
interval needs (a year to fit, a year to calibrate; EKPC's data start 2013-06-01) fails with the
default: that failure is a row of the table, and the zone is trained once more with only its holdout
moved to the first month start that leaves two years (EKPC: 2015-07-01), in a row of its own.

Zones are retrained one after another by the retrain flow, with `OMP_WAIT_POLICY=PASSIVE` (see
benchmarks/fleet_retrain.py: on a busy host libgomp's default spin-wait inflates the CPU seconds);
wall and CPU seconds are recorded per zone (CPU: this process, getrusage; the Prefect server not
included). A zone that fails, or does not beat its baseline, is reported in the table, not hidden.

`python -m benchmarks.zone_accuracy [--zones N] [--out FILE]` (or `python -m benchmarks --only
zone-accuracy` once registered; `--rows` is then the number of zones). Took 7 min for the ten
zones on this 2-core machine (12-95 s per zone; PJME, with weather and 13 years, is the longest).
"""

from __future__ import annotations

import json
import os
import resource
import time
from pathlib import Path
from typing import Any

from benchmarks.fleet_retrain import (
    FIRST_LABEL,
    ZONE_FILES,
    challenger_metrics,
    ingest_zones,
    passive_openmp,
    shipped_zones,
    this_runs_prefect,
)
from gridflow.provenance import PROJECT_ROOT

WEATHER_HISTORY = PROJECT_ROOT / "data" / "weather" / "USW00093721_BWI_daily_2001_2018.csv"
ENV = {
    "GRIDFLOW_LOAD_FORECAST__MODEL_PER_ZONE": "true",
    "GRIDFLOW_LOAD_FORECAST__BACKTEST_FOLDS": "0",
}
# The interval's calibration needs a year of training before its calibration year (gridflow.forecast.intervals).
TOO_SHORT = "too little history to calibrate an interval"
# Settings the table must not inherit from the caller's environment or an earlier benchmark.
CLEARED = ("GRIDFLOW_LOAD_FORECAST__XGB_PARAMS", "GRIDFLOW_LOAD_FORECAST__HOLDOUT_START",
           "GRIDFLOW_LOAD_FORECAST__HOLDOUT_DAYS", "GRIDFLOW_LOAD_FORECAST__TRAIN_START",
           "GRIDFLOW_WEATHER__SITES", "GRIDFLOW_LOAD_FORECAST__USE_WEATHER", "GRIDFLOW_MLFLOW_ARTIFACT_ROOT")


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    return own.ru_utime + own.ru_stime


def retrain_zone(zone: str) -> dict[str, Any]:
    """One zone through the retrain flow; its evaluation, or the failure."""
    from flows.retrain import retrain
    from gridflow.usecases.naming import zone_model_name

    model = zone_model_name("load_forecast", zone)
    cpu, started = _cpu(), time.perf_counter()
    try:
        result, error = retrain(model=model, trigger="benchmark: zone accuracy"), None
    except Exception as exc:  # reported in the table, the other zones still run
        result, error = None, f"{type(exc).__name__}: {exc}"
    row: dict[str, Any] = {"zone": zone, "model": model, "wall_s": time.perf_counter() - started,
                           "cpu_s": _cpu() - cpu, "error": error}
    if result is not None:
        evaluation = result.evaluation
        row |= {"rows": evaluation.rows, "window": (evaluation.window_start_utc, evaluation.window_end_utc),
                "challenger": dict(evaluation.challenger), "baseline": dict(evaluation.baseline),
                "action": result.decision.action}
    return row


def later_holdout(zone: str) -> str:
    """The first month start that leaves `zone` the two years of training the interval needs (a
    year to fit the calibration model, a year to calibrate it), plus the features' first fortnight."""
    import pandas as pd

    first = pd.Timestamp(pd.read_csv(ZONE_FILES[zone], usecols=["Datetime"])["Datetime"].min())
    first = max(first, pd.Timestamp(FIRST_LABEL.get(zone, first)))
    return str((first.normalize() + pd.Timedelta(days=731 + 15) + pd.offsets.MonthBegin(1)).date())


def _report(row: dict[str, Any]) -> dict[str, Any]:
    outcome = row["error"] or f"MAPE {row['challenger']['mape']:.2f} % vs naive {row['baseline']['mape']:.2f} %"
    print(f"  {row['zone']} (holdout from {row['holdout']}): {outcome} ({row['wall_s']:.0f} s, "
          f"{row['cpu_s']:.0f} CPU-s)", flush=True)
    return row


def accuracy_table(rows: list[dict[str, Any]], loaded: dict[str, int], weather: set[str], default_holdout: str) -> str:
    """The markdown table: holdout MAPE and peak-hour MAPE, model vs seasonal naive, per zone."""
    lines = ["| zone | hours ingested | weather | holdout from | holdout hours | MAPE | seasonal naive MAPE | "
             "peak-hour MAPE | seasonal naive peak-hour MAPE | beats baseline |",
             "|---|---:|---|---|---:|---:|---:|---:|---:|---|"]
    for r in rows:
        holdout = r["holdout"] if r["holdout"] == default_holdout else f"**{r['holdout']}**"
        head = f"| {r['zone']} | {loaded.get(r['zone'], 0):,} | {'BWI' if r['zone'] in weather else 'none'} | {holdout}"
        if r["error"] is not None:
            lines.append(f"{head} | | failed | | | | **no**: {_cell(r['error'])} |")
            continue
        c, b = r["challenger"], r["baseline"]
        lines.append(
            f"{head} | {r['rows']:,} | {c['mape']:.2f} % | {b['mape']:.2f} % | {_pct(c.get('peak_hour_mape'))} | "
            f"{_pct(b.get('peak_hour_mape'))} | {'yes' if c['mape'] < b['mape'] else '**no**'} |")
    return "\n".join(lines)


def _cell(text: str) -> str:
    return " ".join(text.replace("|", "\\|").split())[:200]


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f} %"


def run(workdir: Path, rows: int, out: Path | None = None) -> list[dict]:
    """Ingest and retrain `rows` zones (default 10) with the shipped parameters; print the table
    (and write it, with every zone's metrics as JSON, to `out`).

    Returns no row for the speed table: accuracy is not a time ratio."""
    with this_runs_prefect():
        return _run(workdir, rows, out)


def _run(workdir: Path, rows: int, out: Path | None) -> list[dict]:
    from flows.ingest_weather import ingest_weather_history
    from gridflow.config import reset_settings
    from gridflow.usecases.catalog import get_use_case
    from gridflow.usecases.naming import zone_model_name

    zones = shipped_zones(rows)
    openmp = passive_openmp()
    for key in CLEARED:
        os.environ.pop(key, None)
    os.environ.update(ENV | {"GRIDFLOW_LOAD_FORECAST__ZONES": json.dumps(zones)})
    reset_settings()

    started = time.perf_counter()
    loaded = ingest_zones(zones, workdir / "zones")
    weather = {zone for zone in zones if get_use_case(zone_model_name("load_forecast", zone)).uses_weather()}
    if weather:
        report = ingest_weather_history(str(WEATHER_HISTORY))
        if report.status != "loaded":
            raise AssertionError(f"weather history: ingest ended {report.status}: {report.reason}")
    ingest_s = time.perf_counter() - started

    default_holdout = str(get_use_case("load_forecast").config.holdout_start)
    results = []
    for zone in zones:
        results.append(_report(retrain_zone(zone) | {"holdout": default_holdout}))
        if results[-1]["error"] is not None and TOO_SHORT in results[-1]["error"]:
            # Too little history before the default holdout for the interval's calibration year: the
            # zone is also trained with its holdout moved just far enough, and both rows are reported.
            holdout = later_holdout(zone)
            os.environ["GRIDFLOW_LOAD_FORECAST__HOLDOUT_START"] = holdout
            reset_settings()
            try:
                results.append(_report(retrain_zone(zone) | {"holdout": holdout}))
            finally:
                os.environ.pop("GRIDFLOW_LOAD_FORECAST__HOLDOUT_START")
                reset_settings()

    trained = [r for r in results if r["error"] is None]
    audited = challenger_metrics([r["zone"] for r in trained])
    for r in trained:
        if audited[r["zone"]] != r["challenger"]:
            raise AssertionError(f"{r['zone']}: audited challenger metrics differ from the run's evaluation")
    config = get_use_case("load_forecast").config
    params = get_use_case("load_forecast").xgb_params()
    print(f"\nzone accuracy, {len(zones)} zones, shipped parameters (XGBoost {params['n_estimators']} trees, depth "
          f"{params['max_depth']}, learning rate {params['learning_rate']}), holdout from {config.holdout_start} "
          f"local, backtest folds {config.backtest_folds}; ingest {ingest_s:.0f} s; {openmp}; load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores:\n")
    table = accuracy_table(results, loaded, weather, default_holdout)
    print(table)
    failed = [f"{r['zone']} (holdout from {r['holdout']})" for r in results if r["error"] is not None]
    worse = [r["zone"] for r in trained if r["challenger"]["mape"] >= r["baseline"]["mape"]]
    moved = [f"{r['zone']} (holdout from {r['holdout']})" for r in trained if r["holdout"] != default_holdout]
    print(f"\n{len({r['zone'] for r in trained})} of {len(zones)} zones trained"
          + (f", {', '.join(moved)} only with its holdout moved" if moved else "")
          + (f"; failed: {', '.join(failed)}" if failed else "")
          + (f"; NOT beating the baseline: {', '.join(worse)}" if worse else "; every trained zone beats its baseline"))
    print("per zone retrain: " + ", ".join(f"{r['zone']} {r['wall_s']:.0f} s / {r['cpu_s']:.0f} CPU-s"
                                           for r in trained))
    print(f"CPU-seconds per full-history zone retrain at the shipped parameters: "
          f"{sum(r['cpu_s'] for r in trained) / len(trained):.0f} (mean of {len(trained)} trained)")
    if out is not None:
        out.write_text(table + "\n\n" + json.dumps(results, indent=1, default=str) + "\n")
    return []


def main() -> None:
    """`python -m benchmarks.zone_accuracy [--zones N] [--out FILE]`: isolated stores, local Prefect server."""
    import argparse
    import tempfile
    from types import SimpleNamespace

    from benchmarks.__main__ import _run_isolated

    parser = argparse.ArgumentParser(prog="python -m benchmarks.zone_accuracy")
    parser.add_argument("--zones", type=int, default=len(ZONE_FILES), help="the first N shipped zones (default 10)")
    parser.add_argument("--out", help="also write the table and the per-zone results (JSON) to this file")
    args = parser.parse_args()
    out = None if args.out is None else Path(args.out).resolve()
    benchmark = SimpleNamespace(run=lambda workdir, rows: run(workdir, rows, out))
    with tempfile.TemporaryDirectory(prefix="gridflow-bench-zone-accuracy-") as tmp:
        _run_isolated(benchmark, Path(tmp), args.zones)


if __name__ == "__main__":
    main()
