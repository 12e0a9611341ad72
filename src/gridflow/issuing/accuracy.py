"""Accuracy of what was issued: issued P50 against metered load (MAPE per day, per zone, per model
version) and how often the load fell inside the P10-P90 band.

The scoring functions are pure (a frame of issued rows with `actual_mw` in, figures out);
`issued_accuracy` is the drift monitor's hook for the load forecast: one warehouse read, then them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from sqlalchemy.engine import Engine

from gridflow.forecast import metrics
from gridflow.warehouse.forecast_issued import ACTUAL_MW, read_issued_with_actuals

if TYPE_CHECKING:
    from gridflow.monitoring.types import Champion, Window

SOURCE_ISSUED = "issued"
TARGET_KEY = ["zone", "target_start_utc", "model_version"]


def with_actuals(frame: pd.DataFrame) -> pd.DataFrame:
    """Issued rows whose actual has landed, one per (zone, target hour, version): the latest issue."""
    landed = frame[frame[ACTUAL_MW].notna()]
    landed = landed.sort_values([*TARGET_KEY, "issued_at_utc"])
    return landed.drop_duplicates(TARGET_KEY, keep="last").reset_index(drop=True)


def score(frame: pd.DataFrame) -> dict[str, float]:
    """MAPE, MAE and RMSE of P50, coverage of the P10-P90 band and its mean width (% of P50)."""
    if not len(frame):
        return {"hours": 0, "mape": float("nan"), "mae": float("nan"), "rmse": float("nan"),
                "coverage_p10_p90": float("nan"), "width_pct": float("nan")}
    actual = frame[ACTUAL_MW].to_numpy(dtype="float64")
    p50 = frame["p50_mw"].to_numpy(dtype="float64")
    inside = (frame["p10_mw"].to_numpy() <= actual) & (actual <= frame["p90_mw"].to_numpy())
    width = (frame["p90_mw"] - frame["p10_mw"]).to_numpy(dtype="float64") / np.where(p50 == 0, np.nan, p50)
    return {
        "hours": len(frame),
        "mape": metrics.mape(actual, p50),
        "mae": metrics.mae(actual, p50),
        "rmse": metrics.rmse(actual, p50),
        "coverage_p10_p90": float(inside.mean()),
        "width_pct": float(np.nanmean(width) * 100.0),
    }


def accuracy_by(frame: pd.DataFrame, by: list[str]) -> list[dict[str, Any]]:
    """`score()` per group of `by` (columns of the frame, or `local_date`), in group order."""
    keyed = frame.assign(local_date=frame["target_start_local"].dt.date.astype(str))
    out = []
    for values, group in keyed.groupby(by, sort=True):
        keys = values if isinstance(values, tuple) else (values,)
        out.append({**dict(zip(by, (str(k) for k in keys), strict=True)), **_rounded(score(group))})
    return out


def summarize(frame: pd.DataFrame, model_version: str | None = None) -> dict[str, Any]:
    """Headline figures of `model_version`'s issued rows (all versions when None) and the breakdowns
    per day, zone and version of every row; `frame` is already reduced by `with_actuals`."""
    headline = frame if model_version is None else frame[frame["model_version"] == str(model_version)]
    current = score(headline)
    return {
        "source": SOURCE_ISSUED,
        "metric": "mape",
        "rows": current["hours"],
        "current": _rounded(current),
        "current_error": current["mape"] if current["hours"] else None,
        "coverage_p10_p90": current["coverage_p10_p90"] if current["hours"] else None,
        "per_day": accuracy_by(frame, ["zone", "model_version", "local_date"]),
        "per_zone": accuracy_by(frame, ["zone"]),
        "per_version": accuracy_by(frame, ["model_version"]),
    }


def issued_accuracy(engine: Engine, window: Window, champion: Champion, model_name: str) -> dict[str, Any] | None:
    """The champion's production error over the monitor's window, from its issued forecasts whose
    actuals have landed; None when none have (the monitor then recomputes accuracy)."""
    start = pd.Timestamp(window.start_utc) if window.start_utc else None
    end = pd.Timestamp(window.end_utc) + pd.Timedelta(hours=1) if window.end_utc else None
    with engine.connect() as conn:
        issued = read_issued_with_actuals(conn, start, end, model_name=model_name)
    landed = with_actuals(issued)
    if not (landed["model_version"] == str(champion.version)).any():
        return None
    summary = summarize(landed, champion.version)
    days = sorted({row["local_date"] for row in summary["per_day"] if row["model_version"] == str(champion.version)})
    summary["detail"] = (f"{summary['rows']} issued hours of v{champion.version} with actuals "
                         f"({days[0]} .. {days[-1]}, {len(days)} days)")
    return summary


def _rounded(figures: dict[str, float]) -> dict[str, Any]:
    # JSON-safe (drift_check.accuracy is a JSON column) and short in artifacts.
    return {k: (None if isinstance(v, float) and not np.isfinite(v) else round(v, 4) if isinstance(v, float) else v)
            for k, v in figures.items()}
