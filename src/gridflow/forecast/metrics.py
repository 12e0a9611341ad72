"""Forecast error metrics. MAPE figures are percentages (9.1 means 9.1 %).

Rows whose prediction or actual is NaN are ignored by every metric; MAPE also ignores rows whose
actual is zero (the percentage is undefined there). With no usable row a metric is NaN.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def _arrays(y_true, y_pred) -> tuple[np.ndarray, np.ndarray]:
    t = np.asarray(y_true, dtype="float64")
    p = np.asarray(y_pred, dtype="float64")
    if t.shape != p.shape:
        raise ValueError(f"y_true and y_pred differ in shape: {t.shape} vs {p.shape}")
    ok = np.isfinite(t) & np.isfinite(p)
    return t[ok], p[ok]


def mape(y_true, y_pred) -> float:
    """Mean absolute percentage error in percent; skips NaN pairs and zero actuals."""
    t, p = _arrays(y_true, y_pred)
    nonzero = t != 0
    if not nonzero.any():
        return float("nan")
    return float(np.mean(np.abs((t[nonzero] - p[nonzero]) / t[nonzero])) * 100.0)


def rmse(y_true, y_pred) -> float:
    """Root mean squared error in the target's unit; skips NaN pairs."""
    t, p = _arrays(y_true, y_pred)
    return float(np.sqrt(np.mean((t - p) ** 2))) if len(t) else float("nan")


def mae(y_true, y_pred) -> float:
    """Mean absolute error in the target's unit; skips NaN pairs."""
    t, p = _arrays(y_true, y_pred)
    return float(np.mean(np.abs(t - p))) if len(t) else float("nan")


def peak_hour_mape(y_true, y_pred, local_date, zone) -> float:
    """MAPE (percent) over each (zone, local day)'s hour of highest ACTUAL load.

    The peak is chosen among all rows with a known actual, before looking at predictions; a day
    whose peak hour has a NaN prediction is skipped rather than replaced by a lesser hour.
    """
    frame = pd.DataFrame(
        {
            "t": np.asarray(y_true, dtype="float64"),
            "p": np.asarray(y_pred, dtype="float64"),
            "day": pd.to_datetime(np.asarray(local_date)).normalize(),
            "zone": np.asarray(zone),
        }
    ).dropna(subset=["t"])
    if frame.empty:
        return float("nan")
    peaks = frame.loc[frame.groupby(["zone", "day"], sort=False)["t"].idxmax()]
    return mape(peaks["t"].to_numpy(), peaks["p"].to_numpy())


def regression_report(y_true, y_pred, local_date, zone) -> dict[str, float]:
    """All four metrics: `mape`, `rmse`, `mae`, `peak_hour_mape` (MAPEs in percent)."""
    return {
        "mape": mape(y_true, y_pred),
        "rmse": rmse(y_true, y_pred),
        "mae": mae(y_true, y_pred),
        "peak_hour_mape": peak_hour_mape(y_true, y_pred, local_date, zone),
    }
