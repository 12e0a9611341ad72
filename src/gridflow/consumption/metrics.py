"""Household and feeder error figures of a half-hourly consumption forecast.

Per household: MAE in kWh per half-hour, summarised over households by mean and median (a few
large or erratic homes dominate the mean). Per feeder: the half-hourly sum over its households of
the actuals against the sum of the forecasts over the SAME rows, so a missing reading drops out of
both; MAPE and MAE of that aggregate. Household MAPE is not reported: near-zero night readings
make it explode.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gridflow.forecast import metrics as fm


def household_mae(meter: np.ndarray, y_true: np.ndarray, y_pred: np.ndarray) -> pd.Series:
    """MAE (kWh per half-hour) per meter over its rows with an actual and a forecast."""
    frame = pd.DataFrame({"meter": meter, "err": np.abs(np.asarray(y_true, float) - np.asarray(y_pred, float))})
    return frame.dropna().groupby("meter", sort=True)["err"].mean()


def feeder_aggregate(feeder: np.ndarray, interval_start_utc: np.ndarray, y_true: np.ndarray,
                     y_pred: np.ndarray) -> pd.DataFrame:
    """Actual and forecast kWh summed per (feeder, half-hour) over the rows having both."""
    frame = pd.DataFrame({"feeder": feeder, "t": interval_start_utc,
                          "actual": np.asarray(y_true, float), "forecast": np.asarray(y_pred, float)}).dropna()
    return frame.groupby(["feeder", "t"], sort=True)[["actual", "forecast"]].sum().reset_index()


def consumption_report(meter: np.ndarray, feeder: np.ndarray, interval_start_utc: np.ndarray,
                       y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    """Household MAE (mean, median, worst), aggregate MAPE/MAE, and the overall row MAE and RMSE."""
    per_meter = household_mae(meter, y_true, y_pred)
    agg = feeder_aggregate(feeder, interval_start_utc, y_true, y_pred)
    return {
        "household_mae_mean": float(per_meter.mean()) if len(per_meter) else float("nan"),
        "household_mae_median": float(per_meter.median()) if len(per_meter) else float("nan"),
        "household_mae_max": float(per_meter.max()) if len(per_meter) else float("nan"),
        "aggregate_mape": fm.mape(agg["actual"], agg["forecast"]),
        "aggregate_mae": fm.mae(agg["actual"], agg["forecast"]),
        "mae": fm.mae(y_true, y_pred),
        "rmse": fm.rmse(y_true, y_pred),
    }
