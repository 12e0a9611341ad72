"""The picture of one issued forecast: the P10-P90 band and P50 of the target day against the last
week's metered load. Matplotlib's object API (no pyplot state), rendered by Agg to PNG bytes."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from gridflow import frames as f

DPI = 80  # ~40 KB: small enough to embed in a Prefect markdown artifact as a data URI


def forecast_png(issued: pd.DataFrame, actuals: pd.DataFrame, title: str) -> bytes:
    """PNG of the issued band (p10_mw..p90_mw) and p50_mw over `target_start_local`, with the
    actual load (`interval_start_local`, `load_mw`) of the days before and any landed target hours."""
    fig = Figure(figsize=(10, 3.6), dpi=DPI)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    if len(actuals):
        ax.plot(actuals[f.INTERVAL_START_LOCAL], actuals[f.LOAD_MW], color="0.35", lw=1.0, label="metered load")
    x = issued["target_start_local"]
    ax.fill_between(x, issued["p10_mw"], issued["p90_mw"], color="tab:blue", alpha=0.25, lw=0, label="P10-P90")
    ax.plot(x, issued["p50_mw"], color="tab:blue", lw=1.6, label="P50 (issued)")
    ax.axvline(x.min(), color="0.6", ls=":", lw=1)
    ax.set_title(title, fontsize=10)
    ax.set_ylabel("MW")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize=8, ncol=3)
    fig.autofmt_xdate()
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def write_png(data: bytes, path: Path) -> Path:
    """Write PNG bytes to `path` (parents created); returns the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path
