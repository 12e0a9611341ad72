"""Use case `transformer_health`: the health index of a power transformer from its dissolved-gas
analysis and oil tests (data/transformer, Arias Velásquez & Mejía Lara 2020).

One row per reading (gridflow.transformers.health_model). The estimator is a random forest, or
XGBoost as the challenger (`GRIDFLOW_TRANSFORMER_HEALTH__ESTIMATOR`). The floor is the IEEE
C57.104 key-gas rule (gridflow.transformers.dga_baseline). The gate metric is the MAE of the index
(lower is better); R², RMSE and the recall/precision of "needs attention" are reported beside it.

The data has no dates, so there is no time to split by: the gate's holdout is a stable share of
reading ids (`holdout_share`; 105 of the 470 shipped readings), and because that is a small
sample, `backtest()` runs repeated K-fold CV over every reading and its last record carries the
mean MAE and its 95 % interval (`model_mae_ci95_low/high`, logged as `backtest_mean_model_mae_ci95_*`).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.engine import Connection

from gridflow.errors import InsufficientDataError
from gridflow.transformers import health_model as hm
from gridflow.usecases.base import Fitted, UseCase
from gridflow.usecases.configs import TransformerHealthConfig

READING_ID = "reading_id"
TIME = "interval_start_utc"  # when the reading was sampled, else loaded: the Evaluation's window column
# Fewer readings than this cannot be split into a holdout and K folds that each see every grade.
MIN_READINGS = 50


class TransformerHealth(UseCase):
    """Transformer health index from dissolved gases and oil tests, judged against the IEEE key-gas rule."""

    name = "transformer_health"
    dataset = "transformer_reading"
    suite = "transformer_reading"
    gate_metric = "mae"
    target = hm.TARGET
    config_type = TransformerHealthConfig
    config: TransformerHealthConfig
    baseline_label = "IEEE C57.104 key-gas rule"
    rows_label = "held-out transformer readings"
    headline_metrics = ("mae", "r2", "attention_recall")

    def load_dataset(self, conn: Connection) -> pd.DataFrame:
        """Every stored transformer reading, by asset and reading id."""
        from gridflow.warehouse.transformers import read_transformer_readings

        return read_transformer_readings(conn)

    def validation_view(self, raw: pd.DataFrame) -> pd.DataFrame:
        """The readings as the ingestion suite checks them (without the load time)."""
        return raw.drop(columns=["updated_at"])

    def build_features(self, raw: pd.DataFrame) -> pd.DataFrame:
        """Reading id, its time, the model inputs, the target and the DGA rule's score, one row per reading."""
        if len(raw) < MIN_READINGS:
            raise InsufficientDataError(
                f"{len(raw)} transformer readings: need {MIN_READINGS}; load them with `gridflow ingest transformers`")
        feats = hm.build_features(raw)
        feats.insert(0, READING_ID, raw[READING_ID].to_numpy())
        # The source gives no sample date: the load time stands in, so the window and the drift
        # monitor's "rows since training" still have a clock.
        when = pd.to_datetime(raw["sampled_at_utc"], utc=True).fillna(pd.to_datetime(raw["updated_at"], utc=True))
        feats.insert(1, TIME, when.to_numpy())
        return feats

    def feature_columns(self) -> list[str]:
        """Input columns of the model, in order."""
        return list(hm.FEATURE_COLUMNS)

    def split(self, features: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Readings whose id hashes below `holdout_share` are the evaluation rows; the rest train."""
        held = hm.in_holdout(features[READING_ID], self.config.holdout_share)
        if held.sum() == 0 or (~held).sum() < MIN_READINGS // 2:
            raise InsufficientDataError(f"{(~held).sum()} training and {held.sum()} held-out readings")
        return features[~held], features[held]

    def fit(self, train: pd.DataFrame) -> Fitted:
        """The configured regressor (random forest or XGBoost) on the training readings."""
        started = time.perf_counter()
        model = self._fit_estimator(train)
        return Fitted(
            model=model,
            params={"estimator": self.config.estimator,
                    **hm.default_params(self.config.estimator), **self.config.estimator_params},
            train_rows=len(train),
            train_start_utc=str(train[TIME].min()),
            train_end_utc=str(train[TIME].max()),
            fit_seconds=round(time.perf_counter() - started, 3),
        )

    def score(self, holdout: pd.DataFrame, predictions: Any) -> dict[str, float]:
        """MAE, RMSE, R² and the "needs attention" recall, precision and F1 at `attention_threshold`."""
        if len(holdout) == 0:
            raise InsufficientDataError("no held-out readings to score")
        return hm.health_metrics(holdout[hm.TARGET].to_numpy(dtype="float64"), np.asarray(predictions),
                                 self.config.attention_threshold)

    def baseline_predictions(self, holdout: pd.DataFrame) -> np.ndarray:
        """The IEEE C57.104 key-gas rule's health score of each held-out reading."""
        return holdout[hm.BASELINE].to_numpy(dtype="float64")

    def backtest(self, features: pd.DataFrame) -> pd.DataFrame:
        """Repeated K-fold CV over every reading, one row per fold, then a summary row (`repeat` 0)
        with the mean of each score and the 95 % interval of the model's and the rule's MAE."""
        records = hm.repeated_kfold(features, self._fit_predict, self.config.attention_threshold,
                                    self.config.cv_repeats, self.config.cv_folds)
        table = pd.DataFrame(records)
        return pd.concat([table, pd.DataFrame([cv_summary(table, 1.0 / self.config.cv_folds)])], ignore_index=True)

    def actuals(self, conn: Connection, keys: list[str]) -> pd.Series:
        """The measured health index of each reading: the scoring API's request key is `reading_id`
        (`GRIDFLOW_API__TRAFFIC='{"transformer_health": {"mode": "shadow", "key": "reading_id"}}'`)."""
        from gridflow.warehouse.transformers import read_health_index

        return read_health_index(conn, keys)

    def params(self) -> dict[str, Any]:
        """Estimator, threshold, holdout, CV and gate settings recorded with each run."""
        return {
            "estimator": self.config.estimator,
            "attention_threshold": self.config.attention_threshold,
            "holdout_share": self.config.holdout_share,
            "cv_repeats": self.config.cv_repeats,
            "cv_folds": self.config.cv_folds,
            "gate_metric": self.gate.metric,
            "gate_min_relative_improvement": self.gate.min_relative_improvement,
        }

    def _fit_estimator(self, train: pd.DataFrame) -> Any:
        model = hm.make_estimator(self.config.estimator, self.config.estimator_params)
        model.fit(train[self.feature_columns()], train[hm.TARGET].to_numpy(dtype="float64"))
        return model

    def _fit_predict(self, train: pd.DataFrame, test: pd.DataFrame) -> np.ndarray:
        return np.asarray(self._fit_estimator(train).predict(test[self.feature_columns()]), dtype="float64")


def cv_summary(folds: pd.DataFrame, test_share: float) -> dict[str, Any]:
    """The summary record of a CV table: `repeat` 0, the mean of every score, and the 95 % interval
    of the model's and the rule's MAE. Its scores equal the fold means, so averaging the table with
    this row in it (as the run's `backtest_mean_*` metrics do) changes nothing."""
    scores = [c for c in folds.columns if c.startswith(("model_", "naive_"))]
    summary: dict[str, Any] = {"repeat": 0, "fold": 0, "train_rows": int(folds["train_rows"].mean()),
                               "test_rows": int(folds["test_rows"].mean())}
    summary |= {c: float(folds[c].mean()) for c in scores}
    for side in ("model", "naive"):
        _, low, high = hm.cv_interval(folds[f"{side}_mae"].to_numpy(), test_share)
        summary[f"{side}_mae_ci95_low"], summary[f"{side}_mae_ci95_high"] = low, high
    return summary
