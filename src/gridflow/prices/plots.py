"""Figures logged with every price-forecast retrain: per node, the holdout's last two weeks (actual,
P50, the P10-P90 band and the same-hour-D-1 baseline) and the MAE by local hour of both.

MAE in $/MWh, not MAPE: prices cross zero. Pure: frames in (columns interval_start_local, target,
p10, p50, p90, baseline), Agg figures out; logging is the registry's job."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from gridflow.training.plots import LOCAL, new_figure

BASELINE = "baseline"
LAST_DAYS = 14


def _mae(actual: pd.Series, forecast: pd.Series) -> float:
    known = actual.notna() & forecast.notna()
    return float(np.abs(actual[known] - forecast[known]).mean()) if known.any() else float("nan")


def last_weeks(frame: pd.DataFrame, title: str, baseline_label: str, days: int = LAST_DAYS) -> Figure:
    """The last `days` local days of the holdout: band, P50, the baseline and the actual price, with
    both MAEs and the band's coverage over those days in the title."""
    local = pd.DatetimeIndex(frame[LOCAL])
    rows = frame[local >= local.max().normalize() - pd.Timedelta(days=days - 1)].sort_values(LOCAL)
    x = pd.DatetimeIndex(rows[LOCAL])
    fig = new_figure(12, 4.2)
    ax = fig.add_subplot()
    ax.fill_between(x, rows["p10"], rows["p90"], color="tab:blue", alpha=0.2, lw=0, label="P10-P90")
    ax.plot(x, rows["p50"], color="tab:blue", lw=1.2, label="P50 forecast")
    ax.plot(x, rows[BASELINE], color="tab:gray", lw=0.9, ls="--", label=baseline_label)
    ax.plot(x, rows["target"], color="black", lw=1.0, label="actual")
    known = rows[rows["target"].notna()]
    covered = ((known["target"] >= known["p10"]) & (known["target"] <= known["p90"])).mean()
    ax.set_title(f"{title}: last {days} holdout days, local time. MAE P50 {_mae(rows['target'], rows['p50']):.2f}, "
                 f"{baseline_label} {_mae(rows['target'], rows[BASELINE]):.2f} $/MWh; "
                 f"actual inside the band {covered:.0%}", fontsize=10)
    ax.set_ylabel("$/MWh")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize=8, ncol=4)
    fig.tight_layout()
    return fig


def mae_by_hour(frame: pd.DataFrame) -> pd.DataFrame:
    """MAE ($/MWh) of the P50 and of the baseline per local hour 0..23 (NaN for an hour never held out)."""
    hour = pd.DatetimeIndex(frame[LOCAL]).hour
    out = {name: [_mae(frame["target"][hour == h], frame[col][hour == h]) for h in range(24)]
           for name, col in (("p50", "p50"), (BASELINE, BASELINE))}
    return pd.DataFrame(out, index=pd.RangeIndex(24, name="hour"))


def error_by_hour(frame: pd.DataFrame, title: str, baseline_label: str) -> Figure:
    """Side-by-side bars of the P50's and the baseline's MAE per local hour over the whole holdout."""
    by_hour = mae_by_hour(frame)
    fig = new_figure(9, 3.6)
    ax = fig.add_subplot()
    ax.bar(by_hour.index - 0.2, by_hour["p50"], width=0.4, color="tab:blue", label="P50 forecast")
    ax.bar(by_hour.index + 0.2, by_hour[BASELINE], width=0.4, color="tab:gray", label=baseline_label)
    ax.set_xticks(range(0, 24, 2))
    ax.set_xlabel("local hour (interval start)")
    ax.set_ylabel("MAE $/MWh")
    ax.set_title(f"{title}: holdout MAE by hour of day")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
