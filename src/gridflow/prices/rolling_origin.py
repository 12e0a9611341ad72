"""Rolling-origin evaluation of the price model: monthly origins, each month forecast as issued.

Origin k is the first day of a month: the model is trained on every feature row whose delivery
day is before it (minus the excluded periods) and forecasts each day of that month. The rows of
a day carry only what was published by that day's issue time (gridflow.prices.issue_features), so
"trained up to the origin" is the only cut needed; a model is refit per month, not per day (the
daily refit a desk would run moves the figures little and costs 30x the fits).

`exclude_periods` drops training rows whose delivery day falls in a listed date range, e.g.
Winter Storm Uri (2021-02-13..2021-02-20): the same knob the use case's config exposes.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from gridflow.errors import InsufficientDataError
from gridflow.forecast.intervals import P10, P50, P90
from gridflow.prices import baselines
from gridflow.prices.conformal import fit_conformalized, last_days
from gridflow.prices.issue_features import DELIVERY_DATE, NODE, TARGET, UTC
from gridflow.prices.metrics import band_report, price_report
from gridflow.prices.quantile_model import PriceQuantileModel, fit_quantile_model

Period = tuple[dt.date, dt.date]


def excluded(delivery_dates: pd.Series, periods: Sequence[Period]) -> np.ndarray:
    """True for each row whose delivery day lies in one of `periods` (inclusive date ranges)."""
    days = pd.DatetimeIndex(delivery_dates).normalize()
    out = np.zeros(len(days), dtype=bool)
    for start, end in periods:
        if end < start:
            raise ValueError(f"excluded period {start}..{end} ends before it starts")
        out |= np.asarray((days >= pd.Timestamp(start)) & (days <= pd.Timestamp(end)))
    return out


def monthly_origins(features: pd.DataFrame, year: int) -> list[pd.Timestamp]:
    """First days of the months of `year` that have feature rows, oldest first."""
    days = pd.DatetimeIndex(features[DELIVERY_DATE])
    months = sorted({pd.Timestamp(year, m, 1) for m in days[days.year == year].month.unique()})
    return months


def scores(frame: pd.DataFrame) -> dict[str, float]:
    """Model (`model_*`, with its band) and both naive baselines' (`naive_d1_*`, `naive_d7_*`) metrics
    of a forecast frame (target, p10, p50, p90 and the naive columns), on the rows where the D-1
    naive is known, so every figure is over the same hours."""
    rows = frame[np.isfinite(frame[baselines.NAIVE_D1].to_numpy(dtype="float64"))]
    y = rows[TARGET].to_numpy(dtype="float64")
    out: dict[str, float] = {"n_scored": float(len(rows))}
    out |= {f"model_{k}": v for k, v in price_report(y, rows[P50]).items()}
    out |= {f"model_{k}": v for k, v in band_report(y, rows[P10], rows[P50], rows[P90]).items()}
    for name, column in (("naive_d1", baselines.NAIVE_D1), ("naive_d7", baselines.NAIVE_D7)):
        out |= {f"{name}_{k}": v for k, v in price_report(y, rows[column]).items()}
    return out


def fit_price_model(X: pd.DataFrame, y: pd.Series, delivery_dates: pd.Series,
                    params: dict[str, Any] | None = None, conformal_days: int = 0) -> PriceQuantileModel:
    """The P10/P50/P90 booster; with `conformal_days` > 0 its band is widened on the last that many days."""
    if conformal_days <= 0:
        return fit_quantile_model(X, y, params)
    return fit_conformalized(X, y, last_days(delivery_dates, conformal_days), params)


def forecast_month(features: pd.DataFrame, columns: list[str], origin: pd.Timestamp,
                   params: dict[str, Any] | None = None,
                   exclude_periods: Sequence[Period] = (),
                   conformal_days: int = 0) -> tuple[dict[str, Any], pd.DataFrame]:
    """Train before `origin`, forecast its month: the fold's record and its forecast rows
    (node, interval_start_utc, delivery_date, target, p10, p50, p90, lag_1d, lag_7d). With
    `conformal_days`, the band is widened on the last that many training days (fit_price_model)."""
    days = pd.DatetimeIndex(features[DELIVERY_DATE])
    stop = origin + pd.offsets.MonthBegin(1)
    train_mask = np.asarray(days < origin) & ~excluded(features[DELIVERY_DATE], exclude_periods)
    train_mask &= np.isfinite(features[TARGET].to_numpy(dtype="float64"))
    test = features[np.asarray((days >= origin) & (days < stop))]
    if not train_mask.any() or test.empty:
        raise InsufficientDataError(f"origin {origin.date()}: {int(train_mask.sum())} training and "
                                    f"{len(test)} test rows")
    train = features[train_mask]
    started = time.perf_counter()
    model = fit_price_model(train[columns], train[TARGET], train[DELIVERY_DATE], params, conformal_days)
    fit_seconds = time.perf_counter() - started
    bands = model.predict_quantiles(test[columns])
    forecast = pd.concat([test[[NODE, UTC, DELIVERY_DATE, TARGET, baselines.NAIVE_D1, baselines.NAIVE_D7]],
                          bands], axis=1)
    record = {
        "origin": origin.date().isoformat(),
        "n_train": len(train),
        "train_end": str(pd.DatetimeIndex(train[DELIVERY_DATE]).max().date()),
        "n_test": len(test),
        "fit_seconds": round(fit_seconds, 2),
        "band_margin": float(model.band_margin),
        **scores(forecast),
    }
    return record, forecast


def rolling_origin(features: pd.DataFrame, columns: list[str], origins: Sequence[pd.Timestamp],
                   params: dict[str, Any] | None = None,
                   exclude_periods: Sequence[Period] = (),
                   conformal_days: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every origin's record (one row per month) and all forecast rows, concatenated."""
    records, forecasts = [], []
    for origin in origins:
        record, forecast = forecast_month(features, columns, origin, params, exclude_periods, conformal_days)
        records.append(record)
        forecasts.append(forecast)
    return pd.DataFrame(records), pd.concat(forecasts, ignore_index=True)
