"""Figures logged with every load-forecast retrain: the holdout forecast against actuals, and the
error by local hour. Matplotlib with the Agg backend (no display); pure: frames in, figures out."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from gridflow.forecast.metrics import mape_by_hour

LOCAL = "interval_start_local"
FORTNIGHT_HOURS = 14 * 24


def forecast_vs_actual(frame: pd.DataFrame, title: str, hours: int = FORTNIGHT_HOURS) -> Figure:
    """The last `hours` rows of one zone's holdout (columns interval_start_local, target, p10, p50,
    p90): the P10-P90 band, P50 and the actual load."""
    tail = frame.sort_values(LOCAL).tail(hours)
    fig, ax = plt.subplots(figsize=(11, 4), dpi=100)
    x = pd.DatetimeIndex(tail[LOCAL])
    ax.fill_between(x, tail["p10"], tail["p90"], color="tab:blue", alpha=0.2, label="P10-P90")
    ax.plot(x, tail["p50"], color="tab:blue", lw=1.2, label="P50 forecast")
    ax.plot(x, tail["target"], color="black", lw=1.0, label="actual")
    inside = ((tail["target"] >= tail["p10"]) & (tail["target"] <= tail["p90"])).mean()
    ax.set_title(f"{title}: last {hours // 24} days of the holdout (actual inside the band {inside:.0%})")
    ax.set_ylabel("MW")
    ax.legend(loc="upper left")
    fig.autofmt_xdate()
    fig.tight_layout()
    return fig


def error_by_hour(frame: pd.DataFrame, title: str) -> Figure:
    """Bar chart of the P50's MAPE per local hour of day over the whole holdout."""
    by_hour = mape_by_hour(frame["target"], frame["p50"], pd.DatetimeIndex(frame[LOCAL]).hour)
    fig, ax = plt.subplots(figsize=(8, 3.5), dpi=100)
    ax.bar(by_hour.index, by_hour.to_numpy(), color="tab:orange")
    ax.set_xticks(range(0, 24, 2))
    ax.set_xlabel("local hour (interval start)")
    ax.set_ylabel("MAPE %")
    ax.set_title(f"{title}: holdout MAPE by hour of day")
    fig.tight_layout()
    return fig


def close(fig: Figure) -> None:
    """Free a figure's memory (pyplot keeps every open figure otherwise)."""
    plt.close(fig)
