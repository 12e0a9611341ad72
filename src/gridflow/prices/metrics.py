"""Price forecast error metrics, in $/MWh: no MAPE (a $0.50 actual makes a percentage meaningless).

* `mae` (the gate's metric) and `rmse` over every scored hour;
* `top5_mae`: MAE over the hours whose ACTUAL is in the top 5 % of the window, the spikes a
  trader cares about most and a median forecast misses most;
* with a band: coverage of P10-P90 (0.8 is calibrated), mean pinball loss of the three quantiles
  and the band's mean width (gridflow.forecast.metrics.interval_report, without its percentage).
"""

from __future__ import annotations

import numpy as np

from gridflow.forecast.metrics import interval_report, mae, rmse

SPIKE_SHARE = 0.05


def top_share_mae(y_true, y_pred, share: float = SPIKE_SHARE) -> float:
    """MAE over the rows whose actual is at or above the (1 - share) quantile of the known actuals."""
    t, p = np.asarray(y_true, dtype="float64"), np.asarray(y_pred, dtype="float64")
    ok = np.isfinite(t) & np.isfinite(p)
    if not ok.any():
        return float("nan")
    cut = np.quantile(t[ok], 1.0 - share)
    spikes = ok & (t >= cut)
    return mae(t[spikes], p[spikes])


def price_report(y_true, y_pred) -> dict[str, float]:
    """`mae`, `rmse` and `top5_mae` ($/MWh) of a point forecast."""
    return {"mae": mae(y_true, y_pred), "rmse": rmse(y_true, y_pred), "top5_mae": top_share_mae(y_true, y_pred)}


def band_report(y_true, p10, p50, p90) -> dict[str, float]:
    """`coverage_p10_p90`, `pinball_mean` ($/MWh) and `interval_width_mean` ($/MWh) of a P10/P50/P90 band."""
    report = interval_report(y_true, p10, p50, p90)
    # The width in percent of P50 divides by prices near $0 and below: meaningless here.
    return {k: v for k, v in report.items() if k != "interval_width_pct"}
