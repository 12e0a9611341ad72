"""Use case `meter_forecast`: next-day half-hourly consumption per household, and per feeder as the
sum of its households, from interval meter data (`meter_interval`, channel consumption).

Issued at 09:00 local on D-1 with readings through the end of D-2 (meter data lands the next day:
gridflow.consumption.issue_features). The estimator is ONE gradient-boosted model over all the
feeder's households, with per-meter statistics of the known history as features: with many short,
noisy series a global model learns the shared shape (daily cycle, weekday, holiday, season) from
all of them and still tells households apart by their statistics, where a model per meter (an LSTM
per household, say) would fit a few hundred noisy days each and cannot serve a meter that joined
last week. The gate's floor is the seasonal baseline "mean of the last four same weekdays", the
stronger of the two per-meter baselines on the SGSC data (scripts/evaluate_meter_forecast.py).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.engine import Connection

from gridflow.consumption import backtest as cbt
from gridflow.consumption import issue_features as ife
from gridflow.consumption.feeders import feeder_of, like_patterns
from gridflow.consumption.metrics import consumption_report
from gridflow.errors import InsufficientDataError
from gridflow.forecast import split
from gridflow.sources.meters.frame import CONSUMPTION, INTERVAL_START_LOCAL, INTERVAL_START_UTC, METER_ID
from gridflow.usecases.base import Fitted, UseCase
from gridflow.usecases.configs import MeterForecastConfig

# Shallower than gridflow.forecast.model's defaults: depth 4 with 300 trees at 0.1 generalises across
# households better than deeper trees, which learn single homes' noise. Chosen on a validation window
# BEFORE the holdout (train < 2013-09-03, scored 2013-09-03..2013-12-02, 50 % of days): household MAE
# 0.1590 kWh against 0.1616 at depth 6 (200 trees) and 0.1751 for the gate's floor.
# min_child_weight 20 keeps leaves off single households.
METER_PARAMS = {"n_estimators": 300, "max_depth": 4, "learning_rate": 0.1, "min_child_weight": 20, "max_bin": 64}
# Watched by the drift monitor: the meters' recent consumption as known at issue time. Calendar
# columns are fixed by the window's dates; the history counts only grow.
DRIFT_FEATURES = ["lag_last_known_day", "last_known_day_mean", "lag_7d", "same_weekday_mean_4w",
                  "recent_profile", "recent_mean", "recent_std"]


def default_params() -> dict[str, Any]:
    """The household model's XGBoost defaults: gridflow.forecast.model's with `METER_PARAMS` on top."""
    from gridflow.forecast.model import default_xgb_params

    return {**default_xgb_params(), **METER_PARAMS}


def sampled_days(frame: pd.DataFrame, share: float) -> np.ndarray:
    """A stable `share` of the (meter, local day)s of a feature frame, as a row mask: the same rows on
    every run, and a day's 48 half-hours kept or dropped together."""
    if share >= 1:
        return np.ones(len(frame), dtype=bool)
    keys = frame[[METER_ID, ife.TARGET_DATE]].astype(str)
    unit = pd.util.hash_pandas_object(keys, index=False).to_numpy() / float(2**64)
    return unit < share


class MeterForecast(UseCase):
    """Next-day half-hourly household and feeder consumption, one global model per feeder fleet."""

    name = "meter_forecast"
    dataset = "meter_interval"
    suite = "meter_consumption"
    gate_metric = "household_mae_mean"
    target = ife.TARGET
    config_type = MeterForecastConfig
    config: MeterForecastConfig
    baseline_label = "mean of last 4 same weekdays"
    rows_label = "household half-hours"
    headline_metrics = ("household_mae_mean", "household_mae_median", "aggregate_mape")
    zoned = True
    known_limits = (
        "Next-day only: issued at the configured hour on D-1 from readings through the end of D-2 "
        "(`known_lag_days`); no weather input, so heat waves and cold snaps are seen only through "
        "the last known days.",
        "The forecast is a conditional mean (squared error): the feeder sum is unbiased, but single "
        "households' MAE is higher than a median forecast's would be.",
        "A household with no known reading yet is forecast from calendar alone; one with a few days "
        "from those days: its error is higher until it has weeks of history.",
        "Scored on one time-ordered holdout (the last `holdout_days` local days); the monthly rolling-origin "
        "backtest before it (`backtest_folds`) shows how stable that figure is across seasons.",
    )

    def _feeders(self) -> dict[str, list[str]]:
        return {zone: self.config.feeders[zone] for zone in self.config.zones}

    def load_dataset(self, conn: Connection) -> pd.DataFrame:
        """Consumption readings of every meter of the configured feeders (from `train_start`)."""
        from gridflow.warehouse.meters import read_meter_intervals

        start = None
        if self.config.train_start is not None:
            start = pd.Timestamp(self.config.train_start, tz=self.config.meter_tz).tz_convert("UTC")
        patterns = [p for members in self._feeders().values() for p in like_patterns(members)]
        raw = read_meter_intervals(conn, channel=CONSUMPTION, start_utc=start, meter_like=patterns)
        members = feeder_of(raw[METER_ID].astype(str).unique(), self._feeders())
        return raw[raw[METER_ID].astype(str).isin(list(members))].reset_index(drop=True)

    def validation_view(self, raw: pd.DataFrame) -> pd.DataFrame:
        """The readings with `local_clock_error_minutes`: local wall clock minus the UTC instant's
        wall clock in `meter_tz` (0 when the clock is right)."""
        view = raw.drop(columns=["ingest_id"], errors="ignore").copy()
        expected = pd.DatetimeIndex(view[INTERVAL_START_UTC]).tz_convert(self.config.meter_tz).tz_localize(None)
        error = pd.DatetimeIndex(view[INTERVAL_START_LOCAL]) - expected
        view["local_clock_error_minutes"] = error.total_seconds().to_numpy() / 60.0
        view.attrs = {}
        return view

    def build_features(self, raw: pd.DataFrame) -> pd.DataFrame:
        """One row per reading: its half-hour's features as known at the issue time on D-1."""
        if raw.empty:
            raise InsufficientDataError(
                f"no consumption readings for feeders {', '.join(self.config.zones)}; ingest the meters first")
        members = feeder_of(raw[METER_ID].astype(str).unique(), self._feeders())
        c = self.config
        feats = ife.build_issue_features(
            raw, tz=c.meter_tz, feeder_of=members, issue_hour_local=c.issue_hour_local,
            known_lag_days=c.known_lag_days, window_days=c.stats_window_days,
            holiday_country=c.holiday_country, holiday_subdiv=c.holiday_subdiv)
        columns = self.feature_columns()
        feats[columns] = feats[columns].astype("float64")
        return feats

    def feature_columns(self) -> list[str]:
        """Calendar of the target half-hour, then the meter's lags and known statistics."""
        return ife.feature_columns()

    def drift_columns(self) -> list[str]:
        """The meters' recent consumption features (see DRIFT_FEATURES)."""
        return list(DRIFT_FEATURES)

    def holdout_start(self, features: pd.DataFrame) -> pd.Timestamp:
        """First local date of the holdout: the last `holdout_days` target days."""
        last = pd.Timestamp(features[ife.TARGET_DATE].max())
        return last - pd.Timedelta(days=self.config.holdout_days - 1)

    def split(self, features: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Train before the last `holdout_days` local days, evaluate on them."""
        start = self.holdout_start(features).tz_localize(self.config.meter_tz)
        train_idx, test_idx = split.time_holdout(features, start)
        return features.iloc[train_idx], features.iloc[test_idx]

    def _backtest_folds(self, features: pd.DataFrame) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
        first = pd.Timestamp(features[ife.TARGET_DATE].min())
        return cbt.monthly_folds(first, self.holdout_start(features), self.config.backtest_folds)

    def backtest_parts(self, features: pd.DataFrame) -> int:
        """One part per monthly fold before the holdout: each fits its own booster and stands alone."""
        return len(self._backtest_folds(features))

    def backtest_part(self, features: pd.DataFrame, part: int) -> pd.DataFrame:
        """Fold `part`: the model fitted on every day before its month, scored on that month against
        the gate's floor and the same half-hour last week."""
        start, stop = self._backtest_folds(features)[part]
        train_mask, test_mask = cbt.fold_masks(features[ife.TARGET_DATE], start, stop)
        fitted = self.fit(features[train_mask])
        test = features[test_mask]
        predictions = np.asarray(fitted.model.predict(test[self.feature_columns()]), dtype="float64")
        record = {"fold": part, "test_start_local": start, "test_end_local": stop - pd.Timedelta(days=1),
                  "n_train": fitted.train_rows, "n_test": int(test[self.target].notna().sum()),
                  "fit_seconds": fitted.fit_seconds}
        return pd.DataFrame([record | cbt.fold_scores(test, predictions)])

    def backtest(self, features: pd.DataFrame) -> pd.DataFrame:
        """Every monthly fold's row, oldest first; empty with `backtest_folds` 0."""
        parts = [self.backtest_part(features, k) for k in range(self.backtest_parts(features))]
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()

    def xgb_params(self) -> dict[str, Any]:
        """XGBoost settings: the defaults with this configuration's overrides."""
        return {**default_params(), **self.config.xgb_params}

    def fit(self, train: pd.DataFrame) -> Fitted:
        """One global booster on a stable sample of the training (meter, day)s with a known target."""
        from gridflow.forecast.model import fit_xgb_regressor

        rows = train[train[self.target].notna() & sampled_days(train, self.config.train_sample_share)]
        if rows.empty:
            raise InsufficientDataError("no training half-hours with a reading")
        params = self.xgb_params()
        started = time.perf_counter()
        model = fit_xgb_regressor(rows[self.feature_columns()], rows[self.target], params)
        return Fitted(
            model=model, params={**params, "train_sample_share": self.config.train_sample_share},
            train_rows=len(rows), train_start_utc=str(rows[INTERVAL_START_UTC].min()),
            train_end_utc=str(rows[INTERVAL_START_UTC].max()), fit_seconds=round(time.perf_counter() - started, 3),
        )

    def score(self, holdout: pd.DataFrame, predictions: Any) -> dict[str, float]:
        """Household MAE (mean, median, worst; kWh per half-hour), feeder-sum MAPE and MAE, row MAE/RMSE."""
        return consumption_report(
            holdout[METER_ID].to_numpy(), holdout[ife.FEEDER].to_numpy(), holdout[INTERVAL_START_UTC].to_numpy(),
            holdout[self.target].to_numpy(dtype="float64"), np.asarray(predictions, dtype="float64"))

    def baseline_predictions(self, holdout: pd.DataFrame) -> np.ndarray:
        """Per meter, the mean of the same half-hour on the last four same weekdays (with its fallbacks)."""
        return holdout[ife.BASELINE_4W].to_numpy(dtype="float64")

    def params(self) -> dict[str, Any]:
        """Feeders, issue time, data lag, windows and sampling recorded with each run."""
        c = self.config
        return {
            "feeders": ",".join(f"{z}={'|'.join(c.feeders[z])}" for z in c.zones), "meter_tz": c.meter_tz,
            "issue_hour_local": c.issue_hour_local, "known_lag_days": c.known_lag_days,
            "stats_window_days": c.stats_window_days, "holdout_days": c.holdout_days,
            "train_sample_share": c.train_sample_share, "backtest_folds": c.backtest_folds,
            "holidays": f"{c.holiday_country}-{c.holiday_subdiv}",
            "gate_metric": self.gate.metric, "gate_min_relative_improvement": self.gate.min_relative_improvement,
        }

    def next_day_forecast(self, model: Any, raw: pd.DataFrame, target_date: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(per household, per feeder) forecast of local day `target_date` as issued on the day before:
        readings after the information cutoff are dropped first, whatever `raw` holds."""
        day = pd.Timestamp(target_date).normalize()
        _, cutoff = ife.issue_times(pd.DatetimeIndex([day]), self.config.meter_tz, self.config.issue_hour_local,
                                    self.config.known_lag_days)
        known = raw[raw[INTERVAL_START_UTC] < cutoff[0]]
        if known.empty:
            raise InsufficientDataError(f"no reading known by {cutoff[0]} to forecast {day.date()} from")
        meters = sorted(known[METER_ID].astype(str).unique())
        rows = ife.target_day_rows(meters, day, self.config.meter_tz)
        frame = pd.concat([known.drop(columns=["ingest_id"], errors="ignore"), rows], ignore_index=True)
        feats = self.build_features(frame)
        feats = feats[feats[ife.TARGET_DATE] == day].reset_index(drop=True)
        households = feats[[METER_ID, ife.FEEDER, INTERVAL_START_UTC, INTERVAL_START_LOCAL, ife.ISSUE_TIME_UTC,
                            ife.INFORMATION_CUTOFF_UTC]].copy()
        households["forecast_kwh"] = np.asarray(model.predict(feats[self.feature_columns()]), dtype="float64")
        feeders = (households.groupby([ife.FEEDER, INTERVAL_START_UTC, INTERVAL_START_LOCAL], sort=True)
                   .agg(forecast_kwh=("forecast_kwh", "sum"), households=(METER_ID, "nunique")).reset_index())
        return households, feeders

