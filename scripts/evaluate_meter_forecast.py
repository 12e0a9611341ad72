"""Measure `meter_forecast` on all 50 SGSC households: the global GBM against both seasonal baselines
on the holdout (the last 91 local days), and how households seen only briefly fare.

    .venv/bin/python scripts/evaluate_meter_forecast.py [--objective reg:absoluteerror]

Reads the shipped data/meters/sgsc/*.csv.gz (meter, timestamp with offset, kWh; scripts/convert_sgsc.py)
through the meter ingestion's parser. Prints markdown tables.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

from gridflow.consumption import issue_features as ife
from gridflow.consumption.readings import consumption_frame
from gridflow.sources.meters.detect import parse_meter_file
from gridflow.sources.meters.frame import INTERVAL_START_UTC, KWH, METER_ID
from gridflow.usecases.configs import MeterForecastConfig
from gridflow.usecases.meter_forecast import MeterForecast

SHIPPED = Path("data/meters/sgsc")
TZ = "Australia/Sydney"


def load_readings() -> pd.DataFrame:
    """All households as a canonical consumption frame, read from the shipped file by the meter
    ingestion's own parser (labels carry their +10:00 offset, see scripts/convert_sgsc.py)."""
    shipped = sorted(SHIPPED.glob("*.csv.gz"))
    if not shipped:
        raise SystemExit(f"no shipped readings in {SHIPPED}: run from the repository root")
    print(f"readings: {', '.join(map(str, shipped))}")
    frames = [parse_meter_file(p, tz=TZ).frame for p in shipped]
    raw = pd.concat(frames, ignore_index=True)
    return consumption_frame(raw[METER_ID].astype(str), raw[INTERVAL_START_UTC], raw[KWH], TZ)


def row(name: str, s: dict[str, float]) -> str:
    return (f"| {name} | {s['household_mae_mean']:.4f} | {s['household_mae_median']:.4f} | "
            f"{s['aggregate_mape']:.2f} | {s['aggregate_mae']:.3f} | {s['rmse']:.4f} |")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--objective", default=None, help="also fit this XGBoost objective, e.g. reg:absoluteerror")
    parser.add_argument("--share", type=float, default=None, help="train_sample_share (default: the config's)")
    args = parser.parse_args()
    readings = load_readings()
    config = MeterForecastConfig() if args.share is None else MeterForecastConfig(train_sample_share=args.share)
    case = MeterForecast(config)
    started = time.perf_counter()
    feats = case.build_features(readings)
    print(f"{len(readings):,} readings of {readings['meter_id'].nunique()} households; "
          f"features in {time.perf_counter() - started:.1f} s")
    train, holdout = case.split(feats)
    first, last = holdout[ife.TARGET_DATE].min().date(), holdout[ife.TARGET_DATE].max().date()
    fitted = case.fit(train)
    print(f"fit: {fitted.train_rows:,} of {len(train):,} training half-hours "
          f"(share {config.train_sample_share}) in {fitted.fit_seconds:.1f} s")
    cols = case.feature_columns()
    prediction = fitted.model.predict(holdout[cols])
    print(f"\nHoldout: local days {first} .. {last} ({holdout[ife.TARGET_DATE].nunique()} days, "
          f"{holdout['meter_id'].nunique()} households, {len(holdout):,} half-hours); "
          "issued 09:00 D-1 with readings through D-2.\n")
    print("| forecast | household MAE mean (kWh/30 min) | household MAE median | feeder-sum MAPE % | "
          "feeder-sum MAE (kWh/30 min) | RMSE |")
    print("|---|---|---|---|---|---|")
    print(row("global GBM (XGBoost, squared error)", case.score(holdout, prediction)))
    if args.objective:
        other = MeterForecast(config.model_copy(update={"xgb_params": {"objective": args.objective}}))
        alt = other.fit(train)
        print(row(f"global GBM ({args.objective})", case.score(holdout, alt.model.predict(holdout[cols]))))
    print(row("baseline: mean of last 4 same weekdays (gate floor)", case.score(holdout, holdout[ife.BASELINE_4W])))
    print(row("baseline: same half-hour a week earlier", case.score(holdout, holdout[ife.BASELINE_WEEK])))
    # Late joiners: every household's history cut to start k days before the holdout, features
    # rebuilt, the same model; scored on the holdout's first 14 days (their first 2 to 6 weeks).
    print("\nHouseholds seen only briefly (history cut k days before the holdout; first 14 holdout days):\n")
    print("| history at holdout start | GBM household MAE mean | GBM median | 4-weekday baseline mean "
          "| week baseline mean |")
    print("|---|---|---|---|---|")
    horizon = holdout[ife.TARGET_DATE].min() + pd.Timedelta(days=14)
    for k in (None, 28, 14, 7, 2):
        if k is None:
            rows = holdout
        else:
            cut = pd.Timestamp(first, tz=TZ) - pd.Timedelta(days=k)
            kept = readings[readings["interval_start_utc"] >= cut.tz_convert("UTC")]
            rows = case.build_features(kept)
            rows = rows[rows[ife.TARGET_DATE] >= holdout[ife.TARGET_DATE].min()]
        rows = rows[rows[ife.TARGET_DATE] < horizon]
        g = case.score(rows, fitted.model.predict(rows[cols]))
        b4 = case.score(rows, rows[ife.BASELINE_4W])
        bw = case.score(rows, rows[ife.BASELINE_WEEK])
        label = "full (months)" if k is None else f"{k} days"
        print(f"| {label} | {g['household_mae_mean']:.4f} | {g['household_mae_median']:.4f} | "
              f"{b4['household_mae_mean']:.4f} | {bw['household_mae_mean']:.4f} |")
    print(f"\nprediction mean bias on the holdout: {np.nanmean(prediction - holdout[ife.TARGET]):+.4f} kWh")


if __name__ == "__main__":
    main()
