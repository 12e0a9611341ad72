"""Figures logged with every outage-risk retrain: the reliability (calibration) curve of the
challenger and the baseline, and each held-out storm's expected against actual outages.

Pure: arrays and frames in, figures out (Agg canvas, no pyplot state)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from sklearn.calibration import calibration_curve

from gridflow.training.plots import new_figure

BINS = 10


def reliability(y: np.ndarray, p: np.ndarray, bins: int = BINS) -> pd.DataFrame:
    """Per quantile bin of the predictions: mean predicted probability, observed frequency and rows."""
    y = np.asarray(y, dtype="float64")
    p = np.clip(np.nan_to_num(np.asarray(p, dtype="float64"), nan=0.0), 0.0, 1.0)
    observed, predicted = calibration_curve(y, p, n_bins=bins, strategy="quantile")
    # The rows per bin, binned as calibration_curve bins them (quantile edges, empty bins dropped).
    edges = np.percentile(p, np.linspace(0, 100, bins + 1))
    counts = np.bincount(np.searchsorted(edges[1:-1], p), minlength=bins)
    return pd.DataFrame({"predicted": predicted, "observed": observed, "rows": counts[counts > 0]})


def reliability_curve(y: np.ndarray, curves: dict[str, np.ndarray], title: str, bins: int = BINS) -> Figure:
    """Observed failure frequency against mean predicted probability per quantile bin, one line per
    named prediction array (the challenger, the baseline), with the diagonal of perfect calibration.
    Quantile bins: outage probabilities crowd near zero, and equal-width bins would leave one point."""
    fig = new_figure(6.5, 5.5)
    ax = fig.add_subplot()
    top = 0.0
    for (label, p), style in zip(curves.items(), ("o-", "s--", "^:"), strict=False):
        table = reliability(y, p, bins)
        ax.plot(table["predicted"], table["observed"], style, lw=1.4, ms=4, label=label)
        top = max(top, float(table[["predicted", "observed"]].max().max()))
    top = max(top, 1e-3) * 1.05
    ax.plot([0, top], [0, top], color="0.5", lw=1, ls=":", label="perfectly calibrated")
    ax.set_xlim(0, top)
    ax.set_ylim(0, top)
    ax.set_xlabel("mean predicted P(outage) in the bin")
    ax.set_ylabel("observed outage frequency in the bin")
    ax.set_title(f"{title}: reliability on the held-out storms ({bins} quantile bins)", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    return fig


def storm_counts(storm_ids: np.ndarray, y: np.ndarray, curves: dict[str, np.ndarray]) -> pd.DataFrame:
    """Per storm (first-seen order): actual outages and each named prediction's expected count
    (the sum of its probabilities), the figure crews are staged from."""
    frame = pd.DataFrame({"storm_id": np.asarray(storm_ids), "actual": np.asarray(y, dtype="float64")})
    for label, p in curves.items():
        frame[label] = np.asarray(p, dtype="float64")
    return frame.groupby("storm_id", sort=False).sum().reset_index()


def expected_vs_actual(counts: pd.DataFrame, title: str) -> Figure:
    """Grouped bars per held-out storm: actual outages beside each prediction's expected count."""
    series = [c for c in counts.columns if c != "storm_id"]
    fig = new_figure(max(7.0, 1.1 * len(counts) + 3), 4.2)
    ax = fig.add_subplot()
    x = np.arange(len(counts))
    width = 0.8 / len(series)
    for i, name in enumerate(series):
        color = "black" if name == "actual" else None
        ax.bar(x + (i - (len(series) - 1) / 2) * width, counts[name], width, label=name, color=color)
    ax.set_xticks(x, [str(s) for s in counts["storm_id"]], rotation=30, ha="right", fontsize=8)
    ax.set_ylabel("outages (assets failed)")
    ax.set_title(f"{title}: expected vs actual outages per held-out storm", fontsize=10)
    ax.grid(alpha=0.3, axis="y")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
