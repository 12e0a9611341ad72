"""What an issued forecast looks like to people: table rows (Prefect table artifact, `gridflow
forecast show`), a markdown summary with the plot embedded, and a few head lines for the demo."""

from __future__ import annotations

import base64
from typing import Any

import numpy as np
import pandas as pd

from gridflow.warehouse.forecast_issued import ACTUAL_MW

HEADER = ("local hour", "DST", "P10 MW", "P50 MW", "P90 MW", "actual MW", "model", "weather vintage (UTC)")


def latest_issue(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows of the most recent issue in `frame` (latest issue time, then latest stored version)."""
    if frame.empty:
        return frame
    groups = frame.groupby(["issued_at_utc", "model_name", "model_version"], sort=False)["created_at"].max()
    issued_at, name, version = max(groups.index, key=lambda key: (key[0], groups[key]))
    keep = (frame["issued_at_utc"] == issued_at) & (frame["model_name"] == name) & (frame["model_version"] == version)
    return frame[keep].sort_values("target_start_utc").reset_index(drop=True)


def table_rows(issued: pd.DataFrame) -> list[dict[str, Any]]:
    """One dict per target hour: local hour, DST flag, P10/P50/P90, actual (if landed), model, vintage."""
    actual = issued[ACTUAL_MW] if ACTUAL_MW in issued.columns else pd.Series(np.nan, index=issued.index)
    rows = []
    for row, value in zip(issued.itertuples(index=False), actual, strict=True):
        vintage = row.weather_vintage_utc
        rows.append({
            "local hour": pd.Timestamp(row.target_start_local).strftime("%Y-%m-%d %H:%M"),
            "DST": "yes" if row.is_dst else "no",
            "P10 MW": round(float(row.p10_mw)),
            "P50 MW": round(float(row.p50_mw)),
            "P90 MW": round(float(row.p90_mw)),
            "actual MW": None if pd.isna(value) else round(float(value)),
            "model": f"{row.model_name} v{row.model_version}",
            "weather vintage (UTC)": "-" if vintage is None or pd.isna(vintage)
            else pd.Timestamp(vintage).strftime("%Y-%m-%d %H:%M"),
        })
    return rows


def text_table(rows: list[dict[str, Any]], limit: int | None = None) -> list[str]:
    """Aligned plain-text lines of `table_rows` output (first `limit` rows)."""
    shown = rows if limit is None else rows[:limit]
    cells = [list(HEADER)] + [["-" if r[h] is None else f"{r[h]:,}" if isinstance(r[h], int) else str(r[h])
                               for h in HEADER] for r in shown]
    widths = [max(len(line[i]) for line in cells) for i in range(len(HEADER))]
    right = {2, 3, 4, 5}
    return ["  ".join(cell.rjust(widths[i]) if i in right else cell.ljust(widths[i])
                      for i, cell in enumerate(line)).rstrip() for line in cells]


def summary_line(issued: pd.DataFrame) -> str:
    """Daily energy and peak of P50 with the band at the peak hour, one line."""
    peak = issued.loc[issued["p50_mw"].idxmax()]
    return (f"{len(issued)} hours, energy P50 {issued['p50_mw'].sum() / 1000:,.0f} GWh, peak P50 "
            f"{peak['p50_mw']:,.0f} MW at {pd.Timestamp(peak['target_start_local']):%H:%M} "
            f"(P10-P90 {peak['p10_mw']:,.0f}-{peak['p90_mw']:,.0f} MW)")


def markdown(title: str, lines: list[str], png: bytes | None) -> str:
    """Markdown summary with the plot embedded as a data URI (the Prefect UI renders it inline)."""
    parts = [f"# {title}", "", *[f"- {line}" for line in lines], ""]
    if png:
        parts += [f"![{title}](data:image/png;base64,{base64.b64encode(png).decode('ascii')})", ""]
    return "\n".join(parts)
