"""Figures logged with every load-forecast retrain: holdout weeks (typical, peak, worst) forecast
against actuals, the error by local hour and by month, and the model's feature importance.

Matplotlib's object API rendered by Agg (no display, no pyplot state: tasks may draw on threads);
pure: frames in, figures out. Logging is the registry's job."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from gridflow.forecast.metrics import mape, mape_by_hour

LOCAL = "interval_start_local"
WEEK = "week_start"
# A week counts when most of its hours are there (a DST week has 167 or 169).
MIN_WEEK_HOURS = 6 * 24
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
TOP_FEATURES = 20


def new_figure(width: float, height: float, dpi: int = 100) -> Figure:
    """A figure with an Agg canvas attached (it can be saved and logged without pyplot)."""
    fig = Figure(figsize=(width, height), dpi=dpi)
    FigureCanvasAgg(fig)
    return fig


def holdout_weeks(frame: pd.DataFrame) -> dict[str, pd.Timestamp]:
    """The Monday (local) starting the holdout's typical week (MAPE nearest the median), its peak
    week (the highest actual hour) and its worst week (highest MAPE), by label; one week may hold
    two labels (`peak, worst`). Only weeks with at least `MIN_WEEK_HOURS` actual hours count."""
    rows = frame[frame["target"].notna()]
    week = pd.DatetimeIndex(rows[LOCAL]).to_period("W-SUN").start_time
    scored = pd.DataFrame({WEEK: week, "target": rows["target"].to_numpy(), "p50": rows["p50"].to_numpy()})
    sizes = scored.groupby(WEEK)["target"].size()
    full = sizes[sizes >= MIN_WEEK_HOURS].index
    if full.empty:
        return {}
    scored = scored[scored[WEEK].isin(full)]
    weekly = scored.groupby(WEEK).apply(lambda g: mape(g["target"], g["p50"]), include_groups=False)
    picks = {
        "typical": (weekly - weekly.median()).abs().idxmin(),
        "peak": scored.loc[scored["target"].idxmax(), WEEK],
        "worst": weekly.idxmax(),
    }
    labels: dict[pd.Timestamp, list[str]] = {}  # in the order typical, peak, worst
    for label, start in picks.items():
        labels.setdefault(pd.Timestamp(start), []).append(label)
    return {", ".join(names): start for start, names in labels.items()}


def forecast_vs_actual(frame: pd.DataFrame, title: str) -> Figure:
    """One panel per holdout week picked by `holdout_weeks` (columns interval_start_local, target,
    p10, p50, p90): the P10-P90 band, P50 and the actual load, with the week's MAPE and coverage."""
    weeks = holdout_weeks(frame) or {"whole holdout": None}
    fig = new_figure(11, 3.2 * len(weeks))
    axes = fig.subplots(len(weeks), 1, squeeze=False)[:, 0]
    local = pd.DatetimeIndex(frame[LOCAL])
    for ax, (label, start) in zip(axes, weeks.items(), strict=True):
        inside = np.ones(len(frame), dtype=bool) if start is None else (
            (local >= start) & (local < start + pd.Timedelta(days=7)))
        rows = frame[inside].sort_values(LOCAL)
        x = pd.DatetimeIndex(rows[LOCAL])
        ax.fill_between(x, rows["p10"], rows["p90"], color="tab:blue", alpha=0.2, lw=0, label="P10-P90")
        ax.plot(x, rows["p50"], color="tab:blue", lw=1.2, label="P50 forecast")
        ax.plot(x, rows["target"], color="black", lw=1.0, label="actual")
        known = rows[rows["target"].notna()]
        covered = ((known["target"] >= known["p10"]) & (known["target"] <= known["p90"])).mean()
        week = "" if start is None else f" of {start:%Y-%m-%d}"
        ax.set_title(f"{label} week{week}: MAPE {mape(known['target'], known['p50']):.2f} %, "
                     f"actual inside the band {covered:.0%}", fontsize=10)
        ax.set_ylabel("MW")
        ax.grid(alpha=0.3)
        ax.legend(loc="upper left", fontsize=8, ncol=3)
    fig.suptitle(f"{title}: holdout weeks, local time", fontsize=11)
    fig.tight_layout()
    return fig


def error_by_hour(frame: pd.DataFrame, title: str) -> Figure:
    """Bar chart of the P50's MAPE per local hour of day over the whole holdout."""
    by_hour = mape_by_hour(frame["target"], frame["p50"], pd.DatetimeIndex(frame[LOCAL]).hour)
    fig = new_figure(8, 3.5)
    ax = fig.add_subplot()
    ax.bar(by_hour.index, by_hour.to_numpy(), color="tab:orange")
    ax.set_xticks(range(0, 24, 2))
    ax.set_xlabel("local hour (interval start)")
    ax.set_ylabel("MAPE %")
    ax.set_title(f"{title}: holdout MAPE by hour of day")
    fig.tight_layout()
    return fig


def mape_by_month(frame: pd.DataFrame) -> pd.Series:
    """MAPE (percent) of the P50 per local calendar month 1..12 (NaN for a month the holdout lacks)."""
    month = pd.DatetimeIndex(frame[LOCAL]).month
    t, p = frame["target"].to_numpy(dtype="float64"), frame["p50"].to_numpy(dtype="float64")
    return pd.Series({m: mape(t[month == m], p[month == m]) if (month == m).any() else np.nan
                      for m in range(1, 13)}, name="mape", dtype="float64")


def error_by_month(frame: pd.DataFrame, title: str) -> Figure:
    """Bar chart of the P50's MAPE per local calendar month over the whole holdout."""
    by_month = mape_by_month(frame)
    fig = new_figure(8, 3.5)
    ax = fig.add_subplot()
    ax.bar(MONTHS, by_month.to_numpy(), color="tab:green")
    ax.set_xlabel("local month")
    ax.set_ylabel("MAPE %")
    ax.set_title(f"{title}: holdout MAPE by month")
    fig.tight_layout()
    return fig


def feature_importance(importance: pd.Series, title: str, top: int = TOP_FEATURES) -> Figure:
    """Horizontal bars of the `top` largest importances (feature name -> gain), largest on top,
    as shares of the total."""
    share = (importance / importance.sum()).sort_values(ascending=False).head(top)[::-1]
    fig = new_figure(8, 1.2 + 0.28 * len(share))
    ax = fig.add_subplot()
    ax.barh(list(share.index), share.to_numpy() * 100.0, color="tab:purple")
    ax.set_xlabel("share of total gain %")
    ax.set_title(f"{title}: feature importance (top {len(share)} of {len(importance)})")
    fig.tight_layout()
    return fig


def close(fig: Figure) -> None:
    """Free a figure's memory once it is saved or logged."""
    fig.clear()
