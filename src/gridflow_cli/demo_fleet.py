"""The demo's fleet step: two more PJM zones from the shipped files, each retrained as its own
registered model (`load_forecast.<zone>`) through its own gate by the retrain-fleet flow, fanned out
on the configured task runner, and the fleet report."""

from __future__ import annotations

from collections.abc import Callable

from gridflow.provenance import PROJECT_ROOT
from gridflow_cli.shell import settings_overridden

ZONES = ("DOM", "AEP")
ZONE_FILES = PROJECT_ROOT / "data" / "pjm_zones"
# The demo trains the zones from 2012 with one backtest fold: the fleet's point is the fan-out and
# the per-zone gates. Three years before the 2015 holdout is the least the interval accepts (a
# year to calibrate it on, at least as much to fit before that).
TRAIN_START = "2012-01-01"
BACKTEST_FOLDS = "1"


def fleet_scenario(echo: Callable[[str], None], on_worker: bool = False) -> None:
    """Ingest the zones' shipped files, retrain the fleet, print one line per zone.

    The fleet retrain runs in this process: the demo narrows its history, which a worker's run
    (reading the worker's settings) would not see.
    """
    from flows.ingest_pjm_load import ingest_pjm_load
    from flows.retrain_fleet import retrain_fleet
    from gridflow.config import get_settings
    from gridflow_cli.demo_runs import run_flow

    for zone in ZONES:
        summary = run_flow(ingest_pjm_load, "pjm-load-file", on_worker=on_worker,
                           path=str(ZONE_FILES / f"{zone}_hourly.csv")).result
        echo(f"    {zone}: {summary.status}, {summary.rows_written} rows written")
    with settings_overridden({"GRIDFLOW_LOAD_FORECAST__TRAIN_START": TRAIN_START,
                              "GRIDFLOW_LOAD_FORECAST__BACKTEST_FOLDS": BACKTEST_FOLDS}):
        echo(f"    retrain-fleet on {get_settings().task_runner} (GRIDFLOW_TASK_RUNNER), zones {', '.join(ZONES)} "
             f"from {TRAIN_START} ...")
        outcomes = retrain_fleet(use_case="load_forecast", zones=list(ZONES), trigger="demo: fleet")
    for o in outcomes:
        echo(f"    {o.model}: v{o.version} {o.action.upper()}, MAPE {o.challenger:.4f} vs seasonal naive "
             f"{o.baseline:.4f} - {o.reason}")
    echo("    the fleet report is the run's `load-forecast-fleet` artifact in the Prefect UI")
