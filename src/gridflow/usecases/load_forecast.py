"""Use case `load_forecast`: day-ahead hourly load per zone, XGBoost on calendar and lag features.

The forecast is issued at 10:00 market-local time the day before; every feature uses only load
that had been metered by then (see gridflow.forecast.features).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.engine import Connection

from gridflow import frames as f
from gridflow.errors import InsufficientDataError
from gridflow.forecast import backtest as bt
from gridflow.forecast import baselines, features, metrics, model, split
from gridflow.usecases.base import Fitted, UseCase
from gridflow.usecases.configs import LoadForecastConfig
from gridflow.validation.views import load_validation_view
from gridflow.warehouse.loads import read_load_observations

BASELINE = "baseline_seasonal_naive"


class LoadForecast(UseCase):
    """Day-ahead hourly load forecast per zone."""

    name = "load_forecast"
    dataset = "pjm_load"
    suite = "pjm_load"
    gate_metric = "mape"
    config_type = LoadForecastConfig
    config: LoadForecastConfig
    baseline_label = "seasonal-naive baseline"
    rows_label = "hourly targets"
    headline_metrics = ("mape", "rmse", "peak_hour_mape")

    def load_dataset(self, conn: Connection) -> pd.DataFrame:
        """Hourly load from the warehouse, limited to the configured zone and start date."""
        start = None
        if self.config.train_start is not None:
            start = pd.Timestamp(self.config.train_start, tz=self.config.market_tz).tz_convert("UTC")
        parts = [read_load_observations(conn, zone=zone, start_utc=start) for zone in self.config.zones]
        return pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]

    def validation_view(self, raw: pd.DataFrame) -> pd.DataFrame:
        """The load frame with completeness and clock columns for the `pjm_load` suite."""
        return load_validation_view(raw)

    def build_features(self, raw: pd.DataFrame) -> pd.DataFrame:
        """Day-ahead features as known at issue time, one row per zone and target hour."""
        if raw.empty:
            raise InsufficientDataError("no load observations to build features from")
        feats = features.build_day_ahead_features(
            raw, tz=self.config.market_tz, issue_hour_local=self.config.issue_hour_local
        )
        # Float inputs only: an integer column in the MLflow signature rejects NaN at serving time.
        columns = self.feature_columns()
        feats[columns] = feats[columns].astype("float64")
        # Computed on the whole history so the first week of any evaluation window has a value.
        feats[BASELINE] = baselines.seasonal_naive(feats).to_numpy()
        return feats

    def feature_columns(self) -> list[str]:
        """Input columns of the model, in order."""
        return list(features.feature_columns())

    def drift_columns(self) -> list[str]:
        """The load features; calendar columns are left out: over a 14-day window they are fixed by
        the date (one month, two weeks of weekdays) and would always look drifted against years of
        training data."""
        return [c for c in features.LOAD_FEATURES if not c.endswith("_is_holiday")]

    def split(self, feats: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Train before the holdout start (local date), evaluate from it."""
        if self.config.holdout_days is not None:
            last = feats[f.INTERVAL_START_UTC].max().tz_convert(self.config.market_tz)
            start = (last.normalize() - pd.Timedelta(days=self.config.holdout_days - 1)).tz_localize(None)
        else:
            start = pd.Timestamp(self.config.holdout_start)
        train_idx, test_idx = split.time_holdout(feats, start.tz_localize(self.config.market_tz))
        return feats.iloc[train_idx], feats.iloc[test_idx]

    def fit(self, train: pd.DataFrame) -> Fitted:
        """Fit XGBoost on rows whose target is known."""
        rows = train[train[self.target].notna()]
        params = {**model.default_xgb_params(), **self.config.xgb_params}
        started = time.perf_counter()
        estimator = model.fit_xgb_regressor(rows[self.feature_columns()], rows[self.target], params)
        return Fitted(
            model=estimator,
            params=params,
            train_rows=len(rows),
            train_start_utc=str(rows[f.INTERVAL_START_UTC].min()),
            train_end_utc=str(rows[f.INTERVAL_START_UTC].max()),
            fit_seconds=round(time.perf_counter() - started, 3),
        )

    def score(self, holdout: pd.DataFrame, predictions: Any) -> dict[str, float]:
        """MAPE, RMSE, MAE and peak-hour MAPE over the holdout rows."""
        local = holdout[f.INTERVAL_START_UTC].dt.tz_convert(self.config.market_tz)
        return metrics.regression_report(
            holdout[self.target].to_numpy(),
            np.asarray(predictions, dtype=float),
            local_date=local.dt.date.to_numpy(),
            zone=holdout[f.ZONE].to_numpy(),
        )

    def baseline_predictions(self, holdout: pd.DataFrame) -> np.ndarray:
        """Same hour one week earlier: the seasonal-naive forecast, legal day-ahead."""
        return holdout[BASELINE].to_numpy(dtype=float)

    def backtest(self, feats: pd.DataFrame) -> pd.DataFrame:
        """Rolling-origin backtest over the last folds of the data."""
        if self.config.backtest_folds == 0:
            return pd.DataFrame()
        params = {**model.default_xgb_params(), **self.config.xgb_params}
        return bt.rolling_origin_backtest(
            feats,
            n_folds=self.config.backtest_folds,
            test_days=self.config.backtest_test_days,
            params=params,
        )

    def params(self) -> dict[str, Any]:
        """Split, horizon and gate settings recorded with each run."""
        return {
            "zones": ",".join(self.config.zones),
            "market_tz": self.config.market_tz,
            "issue_hour_local": self.config.issue_hour_local,
            "holdout_start": str(self.config.holdout_start),
            "holdout_days": self.config.holdout_days,
            "train_start": str(self.config.train_start),
            "gate_metric": self.gate.metric,
            "gate_min_relative_improvement": self.gate.min_relative_improvement,
        }
