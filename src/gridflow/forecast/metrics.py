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


SEASONS = {"djf": (12, 1, 2), "mam": (3, 4, 5), "jja": (6, 7, 8), "son": (9, 10, 11)}


def seasonal_mape(y_true, y_pred, month) -> dict[str, float]:
    """MAPE (percent) per meteorological season: `mape_djf`, `mape_mam`, `mape_jja`, `mape_son`."""
    t = np.asarray(y_true, dtype="float64")
    p = np.asarray(y_pred, dtype="float64")
    m = np.asarray(month)
    return {f"mape_{name}": mape(t[np.isin(m, months)], p[np.isin(m, months)]) for name, months in SEASONS.items()}


def pinball_loss(y_true, y_pred, quantile: float) -> float:
    """Mean pinball (quantile) loss in the target's unit; skips NaN pairs."""
    t, p = _arrays(y_true, y_pred)
    if not len(t):
        return float("nan")
    diff = t - p
    return float(np.mean(np.maximum(quantile * diff, (quantile - 1.0) * diff)))


def interval_report(y_true, p10, p50, p90) -> dict[str, float]:
    """`coverage_p10_p90` (share of actuals inside [P10, P90], 0.8 is calibrated), `pinball_mean`
    (mean of the three quantiles' pinball losses, MW), `interval_width_mean` (MW) and
    `interval_width_pct` (mean width / P50, percent), over rows where all four are known."""
    t, lo, mid, hi = (np.asarray(a, dtype="float64") for a in (y_true, p10, p50, p90))
    ok = np.isfinite(t) & np.isfinite(lo) & np.isfinite(mid) & np.isfinite(hi)
    if not ok.any():
        return {k: float("nan") for k in ("coverage_p10_p90", "pinball_mean", "interval_width_mean",
                                          "interval_width_pct")}
    t, lo, mid, hi = t[ok], lo[ok], mid[ok], hi[ok]
    pinball = np.mean([pinball_loss(t, lo, 0.1), pinball_loss(t, mid, 0.5), pinball_loss(t, hi, 0.9)])
    return {
        "coverage_p10_p90": float(np.mean((t >= lo) & (t <= hi))),
        "pinball_mean": float(pinball),
        "interval_width_mean": float(np.mean(hi - lo)),
        "interval_width_pct": float(np.mean((hi - lo) / mid) * 100.0),
    }


def mape_by_hour(y_true, y_pred, hour) -> pd.Series:
    """MAPE (percent) per local hour of day 0..23 (NaN for an hour without usable rows)."""
    t = np.asarray(y_true, dtype="float64")
    p = np.asarray(y_pred, dtype="float64")
    h = np.asarray(hour)
    return pd.Series({k: mape(t[h == k], p[h == k]) for k in range(24)}, name="mape", dtype="float64")
