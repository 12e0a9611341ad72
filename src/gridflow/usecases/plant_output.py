"""Use case `plant_output`: the net hourly electrical output of a combined-cycle plant at full load from
the ambient conditions and the exhaust vacuum (data/ccpp, Tüfekci 2014).

One row per hourly average. The estimator is XGBoost with a learnt offset per exact exhaust-vacuum
reading (gridflow.plants.vacuum_model); the floor is ordinary least squares on the four inputs, the
literature's linear regression (~4.56 MW RMSE). The gate metric is the RMSE in MW (lower is better);
MAE, the largest error and R² are reported beside it.

The data has no dates, so there is no time to split by: the gate's holdout is a stable share of
row contents (`holdout_share`), and `backtest()` runs the 5x2 cross-validation the literature
reports (5 repeats of a 2-fold split), whose last record carries the mean RMSE, its 95 % interval
(`model_rmse_ci95_low/high`, logged as `backtest_mean_model_rmse_ci95_*`) and Dietterich's 5x2cv
t-test of the model against the linear floor. Random halves share operating periods, so that
figure measures hours like the ones trained on; `cv_groups="vacuum"` keeps every vacuum reading on
one side, a stand-in for a period never seen (the boosters then do little better than the floor).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.engine import Connection

from gridflow.errors import InsufficientDataError
from gridflow.plants import output_model as om
from gridflow.transformers.health_model import cv_interval, in_holdout
from gridflow.usecases.base import Fitted, UseCase
from gridflow.usecases.configs import PlantOutputConfig

READING_KEY = "reading_key"
TIME = "interval_start_utc"  # the load time: the Evaluation's window column (the source has no times)
# Fewer rows than this cannot be halved into folds that each see the whole operating range.
MIN_READINGS = 200


class PlantOutput(UseCase):
    """Combined-cycle net output from ambient conditions, judged against linear regression."""

    name = "plant_output"
    dataset = "plant_hourly"
    suite = "plant_hourly"
    gate_metric = "rmse"
    target = om.TARGET
    config_type = PlantOutputConfig
    config: PlantOutputConfig
    baseline_label = "linear regression"
    rows_label = "held-out hourly readings"
    headline_metrics = ("rmse", "mae", "r2")

    def load_dataset(self, conn: Connection) -> pd.DataFrame:
        """The configured plant's stored hourly readings, by reading key."""
        from gridflow.warehouse.plants import read_plant_readings

        readings = read_plant_readings(conn)
        return readings[readings["plant_id"] == self.config.plant_id].reset_index(drop=True)

    def validation_view(self, raw: pd.DataFrame) -> pd.DataFrame:
        """The readings as the ingestion suite checks them (without the load time)."""
        return raw.drop(columns=["updated_at"])

    def build_features(self, raw: pd.DataFrame) -> pd.DataFrame:
        """Reading key, load time, model inputs, target and the linear floor's prediction, one row per
        reading. The floor is fitted on the rows `split` trains on, so its holdout figures are honest."""
        if len(raw) < MIN_READINGS:
            raise InsufficientDataError(
                f"{len(raw)} plant readings of {self.config.plant_id!r}: need {MIN_READINGS}; "
                "load them with `gridflow ingest plant`")
        feats = om.build_features(raw)
        feats.insert(0, READING_KEY, raw[READING_KEY].to_numpy())
        # The source gives no time: the load time stands in, so the window and the drift monitor's
        # "rows since training" still have a clock.
        feats.insert(1, TIME, pd.DatetimeIndex(pd.to_datetime(raw["updated_at"], utc=True)))
        held = self._held(feats)
        feats[om.BASELINE] = om.linear_predict(om.fit_linear(feats[~held]), feats)
        return feats

    def feature_columns(self) -> list[str]:
        """Input columns of the model, in order."""
        return list(om.FEATURE_COLUMNS)

    def split(self, features: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Readings whose content hashes below `holdout_share` are the evaluation rows; the rest train.
        Both copies of a repeated row fall on the same side."""
        held = self._held(features)
        if held.sum() == 0 or (~held).sum() < MIN_READINGS // 2:
            raise InsufficientDataError(f"{(~held).sum()} training and {held.sum()} held-out readings")
        return features[~held], features[held]

    def fit(self, train: pd.DataFrame) -> Fitted:
        """XGBoost with the vacuum-reading offsets (gridflow.plants.vacuum_model) on the training readings."""
        from gridflow.plants.vacuum_model import default_params

        started = time.perf_counter()
        model = self._fit_estimator(train)
        return Fitted(
            model=model,
            params={"estimator": "xgboost+vacuum_offsets", **default_params(), **self.config.xgb_params},
            train_rows=len(train),
            train_start_utc=str(train[TIME].min()),
            train_end_utc=str(train[TIME].max()),
            fit_seconds=round(time.perf_counter() - started, 3),
        )

    def score(self, holdout: pd.DataFrame, predictions: Any) -> dict[str, float]:
        """RMSE, MAE and largest absolute error (MW) and R² of the net output."""
        if len(holdout) == 0:
            raise InsufficientDataError("no held-out readings to score")
        return om.output_metrics(holdout[om.TARGET].to_numpy(dtype="float64"), np.asarray(predictions))

    def baseline_predictions(self, holdout: pd.DataFrame) -> np.ndarray:
        """Linear regression on the four inputs, fitted on the training readings, for each held-out one."""
        return holdout[om.BASELINE].to_numpy(dtype="float64")

    def backtest(self, features: pd.DataFrame) -> pd.DataFrame:
        """5x2 CV over every reading (both model and linear floor refitted per fold), one row per fold,
        then a summary row (`repeat` 0) with the mean of each score, the 95 % intervals of both RMSEs
        and the 5x2cv t-test of the model against the floor."""
        features = features.reset_index(drop=True)
        groups = (features[om.VACUUM].astype(str) if self.config.cv_groups == "vacuum"
                  else om.group_of(features[READING_KEY]))
        records = om.five_by_two(features, groups, self._fit_predict, self.config.cv_repeats, self.config.cv_seed)
        table = pd.DataFrame(records)
        return pd.concat([table, pd.DataFrame([cv_summary(table)])], ignore_index=True)

    def params(self) -> dict[str, Any]:
        """Plant, holdout, CV and gate settings recorded with each run."""
        return {
            "plant_id": self.config.plant_id,
            "holdout_share": self.config.holdout_share,
            "cv": f"{self.config.cv_repeats}x2",
            "cv_seed": self.config.cv_seed,
            "cv_groups": self.config.cv_groups,
            "gate_metric": self.gate.metric,
            "gate_min_relative_improvement": self.gate.min_relative_improvement,
        }

    def _held(self, features: pd.DataFrame) -> np.ndarray:
        return in_holdout(om.group_of(features[READING_KEY]), self.config.holdout_share)

    def _fit_estimator(self, train: pd.DataFrame) -> Any:
        from gridflow.plants.vacuum_model import make_estimator

        model = make_estimator(self.config.xgb_params)
        model.fit(train[self.feature_columns()], train[om.TARGET].to_numpy(dtype="float64"))
        return model

    def _fit_predict(self, train: pd.DataFrame, test: pd.DataFrame) -> np.ndarray:
        return np.asarray(self._fit_estimator(train).predict(test[self.feature_columns()]), dtype="float64")


def cv_summary(folds: pd.DataFrame) -> dict[str, Any]:
    """The summary record of a 5x2 CV table: `repeat` 0, the mean of every score (fit time included), the 95 %
    interval of the model's and the floor's RMSE (Nadeau & Bengio's correction for overlapping training
    sets, test share 1/2), and the 5x2cv t-test on RMSE. Its scores equal the fold means, so averaging
    the table with this row in it (as the run's `backtest_mean_*` metrics do) changes nothing."""
    scores = [c for c in folds.columns if c.startswith(("model_", "naive_"))]
    summary: dict[str, Any] = {"repeat": 0, "fold": 0, "train_rows": int(folds["train_rows"].mean()),
                               "test_rows": int(folds["test_rows"].mean())}
    summary |= {c: float(folds[c].mean()) for c in scores}
    for side in ("model", "naive"):
        _, low, high = cv_interval(folds[f"{side}_rmse"].to_numpy(), test_share=0.5)
        summary[f"{side}_rmse_ci95_low"], summary[f"{side}_rmse_ci95_high"] = low, high
    t, p = om.paired_5x2_t(folds["model_rmse"].to_numpy(), folds["naive_rmse"].to_numpy())
    summary["model_vs_naive_t"], summary["model_vs_naive_p"] = t, p
    return summary
