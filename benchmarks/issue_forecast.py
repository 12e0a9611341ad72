"""Issuing the day-ahead forecast for 100 zones: gridflow's issue core and the issue flow against
the same predictions as a plain loop.

Zones are PJM East shifted and scaled: zone i is the shipped PJME load of `i` days earlier, times
a factor between 0.3 and 3, on the same clock, so every zone has real shapes and its own level.

- baseline: per zone, build the day-ahead features from an in-memory frame
  (`features.build_day_ahead_features` on the zone's last 17 days, as the use case reads them), keep
  the target day's rows and predict P10/P50/P90: no warehouse, no registry look-up, no writes.
- issue core: `gridflow.issuing.issue.issue_and_store` per zone: champion from the registry, the
  zone's load read from the warehouse as of the issue time, features, P10/P50/P90, the rows stored
  (first write wins).
- issue flow: `issue-load-forecast` for the 100 zones on the local Prefect server: one task run
  per zone to issue and one to publish its table and PNG artifacts.
"""

from __future__ import annotations

import os
import time
from datetime import date
from pathlib import Path

ZONES = 100
TARGET_DAY = date(2018, 8, 1)  # issued as of 2018-07-31 09:00; the shipped data ends 2018-08-03
FLOW_DAY = date(2018, 7, 31)  # the flow issues a day of its own: a second issue of one day writes nothing
HISTORY_DAYS = 60
ENV = {
    "GRIDFLOW_LOAD_FORECAST__ZONES": '["PJME"]',
    "GRIDFLOW_LOAD_FORECAST__TRAIN_START": "2016-01-01",
    "GRIDFLOW_LOAD_FORECAST__HOLDOUT_DAYS": "90",
    "GRIDFLOW_LOAD_FORECAST__BACKTEST_FOLDS": "0",
    "GRIDFLOW_WEATHER__SITES": "[]",  # the synthetic zones have no weather site
}


def synthetic_zones(pjme, zones: int = ZONES, days: int = HISTORY_DAYS):
    """`zones` zones from PJME's last `days` days: zone i = load of i days earlier x a fixed factor."""
    import numpy as np
    import pandas as pd

    from gridflow import frames as f

    end = pjme[f.INTERVAL_START_UTC].max()
    recent = pjme[pjme[f.INTERVAL_START_UTC] > end - pd.Timedelta(days=days + zones)].set_index(f.INTERVAL_START_UTC)
    clock = recent.index[recent.index > end - pd.Timedelta(days=days)]
    factors = np.linspace(0.3, 3.0, zones)
    parts = []
    for i in range(zones):
        shifted = recent[f.LOAD_MW].reindex(clock - pd.Timedelta(days=i)).to_numpy()
        parts.append(pd.DataFrame({
            f.ZONE: pd.array([f"Z{i:03d}"] * len(clock), dtype="string"),
            f.INTERVAL_START_UTC: clock,
            f.INTERVAL_START_LOCAL: recent.loc[clock, f.INTERVAL_START_LOCAL].to_numpy(),
            f.IS_DST: recent.loc[clock, f.IS_DST].to_numpy(),
            f.LOAD_MW: shifted * factors[i],
        }))
    frame = pd.concat(parts, ignore_index=True)
    return frame[frame[f.LOAD_MW].notna()].reset_index(drop=True)


def plain_loop(frame, model, columns: list[str], tz: str, issue_hour: int, target: date) -> int:
    """Features + P10/P50/P90 per zone from memory; returns the hours predicted."""
    import pandas as pd

    from gridflow import frames as f
    from gridflow.forecast import features
    from gridflow.forecast.intervals import predict_quantiles
    from gridflow.issuing.schedule import issue_time_utc, local_day_hours

    cutoff = issue_time_utc(target, tz, issue_hour)
    first = pd.Timestamp(target).tz_localize(tz).tz_convert("UTC") - pd.Timedelta(days=features.MIN_HISTORY_DAYS + 2)
    hours = local_day_hours(target, tz)
    predicted = 0
    for zone, rows in frame.groupby(f.ZONE, sort=True, observed=True):
        known = rows[(rows[f.INTERVAL_START_UTC] >= first) & (rows[f.INTERVAL_START_UTC] < cutoff)]
        day = hours.assign(**{f.ZONE: pd.array([zone] * len(hours), dtype="string"), f.LOAD_MW: float("nan")})
        feats = features.build_day_ahead_features(pd.concat([known, day[known.columns]], ignore_index=True),
                                                  tz=tz, issue_hour_local=issue_hour)
        target_rows = feats[feats[f.INTERVAL_START_LOCAL].dt.normalize() == pd.Timestamp(target)]
        predicted += len(predict_quantiles(model, target_rows[columns].astype("float64")))
    return predicted


def run(workdir: Path, rows: int) -> list[dict]:
    """Train a PJME champion, write `rows` synthetic zones (100 by default), then time the three sides."""
    os.environ.update(ENV)
    from flows.issue_load_forecast import issue_load_forecast
    from flows.retrain import retrain
    from gridflow import runtime as common
    from gridflow.config import reset_settings
    from gridflow.issuing import issue
    from gridflow.provenance import PROJECT_ROOT
    from gridflow.sources.pjm_load_csv import parse_kaggle_hourly
    from gridflow.usecases.catalog import get_use_case
    from gridflow.warehouse.forecast_issued import read_issued
    from gridflow.warehouse.loads import write_load_observations

    reset_settings()
    pjme = parse_kaggle_hourly(PROJECT_ROOT / "data" / "PJME_hourly.csv").frame
    zones = synthetic_zones(pjme, zones=rows)
    engine = common.warehouse()
    with engine.begin() as conn:
        write_load_observations(conn, pjme, None)
        write_load_observations(conn, zones, None)
    retrain(model="load_forecast", trigger="benchmark: champion to issue")
    use_case = get_use_case("load_forecast")
    champion = issue.load_champion("load_forecast")  # loaded once on both sides
    tz, hour = use_case.config.market_tz, use_case.config.issue_hour_local
    names = sorted(zones["zone"].astype(str).unique())

    started = time.perf_counter()
    hours = plain_loop(zones, champion.model, champion.columns, tz, hour, TARGET_DAY)
    plain_s = time.perf_counter() - started

    started = time.perf_counter()
    issued = [issue.issue_and_store(engine, use_case, zone, TARGET_DAY) for zone in names]
    core_s = time.perf_counter() - started
    assert sum(i.hours for i in issued) == hours, "both sides must predict the same hours"

    started = time.perf_counter()
    issue_load_forecast(zones=names, for_date=FLOW_DAY.isoformat())
    flow_s = time.perf_counter() - started
    with engine.connect() as conn:
        stored = len(read_issued(conn, start_utc="2018-07-31 00:00Z", end_utc="2018-08-03 00:00Z"))
    label = f"{len(names)} zones x 24 h ({stored:,} rows stored)"
    return [
        {"benchmark": f"issue core: {label}", "baseline": "plain loop: features + P10/P50/P90, no warehouse",
         "baseline_s": plain_s, "measured_s": core_s, "ratio": core_s / plain_s},
        {"benchmark": f"issue flow with table + PNG artifacts: {label}", "baseline": "same plain loop",
         "baseline_s": plain_s, "measured_s": flow_s, "ratio": flow_s / plain_s},
    ]
