"""Recompute the price forecast's published figures from the shipped price files.

    .venv/bin/python scripts/evaluate_price_forecast.py [--out DIR] [--conformal-days N]
    .venv/bin/python scripts/evaluate_price_forecast.py --quick 4   # ERCOT 2025, 4 origins, band vs conformal band

ERCOT DAM (the default hubs, yearly workbooks 2021, 2022, 2025): rolling origin with monthly
origins over 2022 and over 2025 (train on every earlier delivery day, forecast the month, each day
as issued at 10:00 Central on D-1); 2022 both with and without Winter Storm Uri's week
(2021-02-13..20) in training, 2025 with the default configuration (Uri left out). PJM-RTO 2025
(day-ahead LMP, issued 10:30 Eastern): monthly origins from April (the file starts in January,
so the first folds need three months to learn from). Prints a markdown
table (pooled over each year's forecast hours: the top-5 % MAE is over the year's top 5 % hours)
and writes the per-month records and the table to DIR (default ./price_forecast_eval).
Takes about 17 min on 2 busy cores (36 ERCOT fits on up to 100k rows, 9 PJM fits).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from price_sources import read_ercot, read_pjm_csv

from gridflow.prices.issue_features import build_price_features, feature_columns
from gridflow.prices.rolling_origin import monthly_origins, rolling_origin, scores
from gridflow.usecases.configs import PriceForecastConfig

URI = (dt.date(2021, 2, 13), dt.date(2021, 2, 20))
ROWS = ["model", "naive_d1", "naive_d7"]


def run(label: str, feats: pd.DataFrame, columns: list[str], origins: list[pd.Timestamp],
        out: Path, exclude: tuple = (), conformal_days: int = 0) -> dict:
    """One rolling-origin evaluation: per-month records saved, the pooled scores returned."""
    started = time.perf_counter()
    records, forecasts = rolling_origin(feats, columns, origins, exclude_periods=exclude,
                                        conformal_days=conformal_days)
    records.to_csv(out / f"{label}_months.csv", index=False)
    pooled = scores(forecasts)
    print(f"{label}: {len(origins)} origins, {pooled['n_scored']:.0f} hours, "
          f"{time.perf_counter() - started:.0f} s", flush=True)
    return pooled


def table(results: dict[str, dict]) -> str:
    """Markdown: one line per evaluation and forecaster."""
    lines = ["| evaluation | forecaster | hours | MAE $/MWh | RMSE | top-5 % MAE | P10-P90 coverage | pinball |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    names = {"model": "model P50", "naive_d1": "same hour D-1", "naive_d7": "same hour D-7"}
    for label, r in results.items():
        for who in ROWS:
            cov = f"{r['model_coverage_p10_p90']:.3f}" if who == "model" else "-"
            pin = f"{r['model_pinball_mean']:.2f}" if who == "model" else "-"
            lines.append(f"| {label} | {names[who]} | {r['n_scored']:.0f} | {r[f'{who}_mae']:.2f} | "
                         f"{r[f'{who}_rmse']:.2f} | {r[f'{who}_top5_mae']:.2f} | {cov} | {pin} |")
    return "\n".join(lines)


def quick(folds: int, conformal_days: int, out: Path) -> None:
    """ERCOT 2025 (default configuration) on `folds` monthly origins, the booster's band against the
    conformally widened one: the same P50, so only coverage, pinball and width differ."""
    ercot = PriceForecastConfig()
    feats = build_price_features(read_ercot(list(ercot.nodes)), list(ercot.nodes), ercot.market_tz,
                                 ercot.issue_hour_local, ercot.issue_minute_local)
    origins = monthly_origins(feats, 2025)
    picked = [origins[round(k * (len(origins) - 1) / max(folds - 1, 1))] for k in range(folds)]
    columns, default = feature_columns(list(ercot.nodes)), tuple(ercot.exclude_periods)
    results = {
        f"ERCOT 2025, {folds} origins, booster band": run(
            "ercot_2025_quick", feats, columns, picked, out, default),
        f"ERCOT 2025, {folds} origins, conformal band ({conformal_days} days)": run(
            "ercot_2025_quick_conformal", feats, columns, picked, out, default, conformal_days),
    }
    print("origins:", ", ".join(str(o.date()) for o in picked))
    print(table(results))


def main() -> None:
    """Run every evaluation and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("price_forecast_eval"))
    parser.add_argument("--conformal-days", type=int, default=0,
                        help="Widen the band on the last N training days of each fold (0: off).")
    parser.add_argument("--quick", type=int, default=0, metavar="N",
                        help="Only ERCOT 2025 on N origins spread over the year, with and without the "
                             "conformal band (--conformal-days, 91 if unset).")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    if args.quick:
        quick(args.quick, args.conformal_days or 91, args.out)
        return

    ercot = PriceForecastConfig()
    prices = read_ercot(list(ercot.nodes))
    feats = build_price_features(prices, list(ercot.nodes), ercot.market_tz, ercot.issue_hour_local,
                                 ercot.issue_minute_local)
    columns = feature_columns(list(ercot.nodes))
    default = tuple(ercot.exclude_periods)  # the Uri week, unless configured otherwise
    results = {
        "ERCOT 2022, Uri week in training": run(
            "ercot_2022_with_uri", feats, columns, monthly_origins(feats, 2022), args.out),
        "ERCOT 2022, Uri week excluded (default)": run(
            "ercot_2022_no_uri", feats, columns, monthly_origins(feats, 2022), args.out, (URI,)),
        "ERCOT 2025 (default)": run("ercot_2025", feats, columns, monthly_origins(feats, 2025), args.out, default),
    }
    pjm = read_pjm_csv()
    pjm_feats = build_price_features(pjm, ["1"], "America/New_York", 10, 30)
    origins = [o for o in monthly_origins(pjm_feats, 2025) if o.month >= 4]
    results["PJM-RTO 2025 (Apr-Dec)"] = run("pjm_rto_2025", pjm_feats, feature_columns(["1"]), origins, args.out)
    text = table(results)
    (args.out / "table.md").write_text(text + "\n")
    pd.DataFrame(results).T.to_csv(args.out / "pooled.csv")
    print(text)


if __name__ == "__main__":
    main()
