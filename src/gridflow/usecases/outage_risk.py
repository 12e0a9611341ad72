"""Use case `outage_risk`: P(an asset fails) under a storm warning, calibrated, per asset.

Training rows are past storms' outcomes joined to the assets (one row per storm and asset in its
area); features are asset attributes and the warning's figures (gridflow.storm.features, the same
function the storm response scores with). The estimator is XGBoost plus a calibration map fitted
on out-of-fold predictions, folds by storm (gridflow.storm.scoring). Evaluation holds out the latest storms.

The gate metric is the Brier score (lower is better): the crew plan stages crews from SUMS of
probabilities, so a model must be calibrated, not only rank well. Brier is a proper scoring rule
that rewards both; PR-AUC (also reported) measures ranking alone and would let a model that doubles
every probability (and every crew count) through unchanged.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.engine import Connection

from gridflow.errors import InsufficientDataError
from gridflow.storm import features as storm_features
from gridflow.storm.scoring import default_xgb_params, fit_outage_model
from gridflow.usecases.base import Fitted, UseCase
from gridflow.usecases.configs import OutageRiskConfig

BASELINE = "baseline_rate"
STORM_ID = "storm_id"
ASSET_ID = "asset_id"
TIME = "interval_start_utc"  # the storm's start: the Evaluation's window column
TARGET = "failed"
# Gust bands (mph) of the climatology baseline; warnings without a gust figure form their own band.
GUST_BANDS = (50.0, 65.0, 80.0, 100.0)
# Before any storm has been seen the baseline has nothing to count: a 1 % prior.
BASELINE_PRIOR = 0.01
# A band needs this many earlier rows before its own rate is trusted over the event's.
BASELINE_MIN_ROWS = 500


class OutageRisk(UseCase):
    """Per-asset outage probability under a storm warning."""

    name = "outage_risk"
    dataset = "storm_outcome"
    suite = "outage_risk"
    gate_metric = "brier"
    target = TARGET
    config_type = OutageRiskConfig
    config: OutageRiskConfig
    baseline_label = "climatology baseline"
    rows_label = "asset outcomes of the latest storms"
    headline_metrics = ("brier", "pr_auc")
    known_limits = (
        "Learns from the storm outcomes in the warehouse only (the demo's are SYNTHETIC, seeded by "
        "`gridflow storm seed`): its probabilities are as good as that history is like the next storm.",
        "One probability per asset per warning, from the warning's figures (gust, hail, severity, event) "
        "and the asset's attributes; it knows nothing of the storm's actual track inside the area.",
        "Scored on the latest held-out storms only: few storms, so the per-storm figures are noisy.",
        "Asset types, materials and events outside the levels seen in training get no level of their "
        "own (their indicator columns are all zero).",
    )

    def load_dataset(self, conn: Connection) -> pd.DataFrame:
        """Every storm outcome joined to its asset's attributes, oldest storm first."""
        from gridflow.warehouse.storm import read_training_frame

        return read_training_frame(conn)

    def validation_view(self, raw: pd.DataFrame) -> pd.DataFrame:
        """The joined outcome rows as they are: the `outage_risk` suite checks columns and ranges."""
        return raw

    def build_features(self, raw: pd.DataFrame) -> pd.DataFrame:
        """Model inputs plus storm id, asset id, storm start (as `interval_start_utc`), target and
        the climatology baseline, one row per storm and asset, ordered by storm start."""
        if raw.empty:
            raise InsufficientDataError("no storm outcomes to learn from: seed them with `gridflow storm seed`")
        frame = raw.sort_values(["storm_start_utc", STORM_ID, ASSET_ID], kind="stable", ignore_index=True)
        feats = storm_features.build_features(frame)
        feats.insert(0, STORM_ID, frame[STORM_ID].to_numpy())
        feats.insert(1, ASSET_ID, frame[ASSET_ID].to_numpy())
        feats.insert(2, TIME, frame["storm_start_utc"].to_numpy())
        feats[TIME] = pd.to_datetime(feats[TIME], utc=True)
        feats[TARGET] = frame[TARGET].to_numpy(dtype="float64")
        feats[BASELINE] = climatology_baseline(frame)
        return feats

    def feature_columns(self) -> list[str]:
        """Input columns of the model, in order."""
        return list(storm_features.FEATURE_COLUMNS)

    def split(self, feats: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The latest `holdout_storms` storms are the evaluation window; earlier storms train."""
        storms = _storm_order(feats)
        if len(storms) < self.config.holdout_storms + 2:
            raise InsufficientDataError(
                f"{len(storms)} storms: need at least {self.config.holdout_storms + 2} "
                f"({self.config.holdout_storms} held out, 2 to fit and calibrate)"
            )
        held = set(storms[-self.config.holdout_storms:])
        in_holdout = feats[STORM_ID].isin(held).to_numpy()
        return feats[~in_holdout], feats[in_holdout]

    def fit(self, train: pd.DataFrame) -> Fitted:
        """XGBoost on the training storms, calibrated out of fold: each of round(1 /
        calibration_share) folds of storms is predicted by a booster fitted without it."""
        storms = _storm_order(train)
        if len(storms) < 2:
            raise InsufficientDataError(f"{len(storms)} training storm(s): need 2 to fit and calibrate")
        folds = max(2, round(1 / self.config.calibration_share))
        ordered = train.sort_values([TIME, STORM_ID], kind="stable")
        columns = self.feature_columns()
        params = {**default_xgb_params(), **self.config.xgb_params}
        started = time.perf_counter()
        model = fit_outage_model(ordered[columns], ordered[TARGET], ordered[STORM_ID], params, folds=folds)
        return Fitted(
            model=model,
            params={**params, "calibration": model.method, "calibration_folds": min(folds, len(storms)),
                    "training_storms": len(storms)},
            train_rows=len(train),
            train_start_utc=str(train[TIME].min()),
            train_end_utc=str(train[TIME].max()),
            fit_seconds=round(time.perf_counter() - started, 3),
        )

    def score(self, holdout: pd.DataFrame, predictions: Any) -> dict[str, float]:
        """PR-AUC, Brier score, log loss and the per-storm error of expected outage counts."""
        return outage_metrics(holdout[TARGET].to_numpy(dtype="float64"), np.asarray(predictions, dtype="float64"),
                              holdout[STORM_ID].to_numpy())

    def baseline_predictions(self, holdout: pd.DataFrame) -> np.ndarray:
        """The failure rate of earlier storms of the same event and gust band (climatology)."""
        return holdout[BASELINE].to_numpy(dtype="float64")

    def holdout_figures(self, model: Any, holdout: pd.DataFrame) -> dict[str, Any]:
        """The reliability curve of challenger and climatology on the held-out storms, and per storm
        the expected outage count of each against the actual one."""
        from gridflow.training import calibration_plots as plots  # imported late: matplotlib only here

        y = holdout[TARGET].to_numpy(dtype="float64")
        curves = {"challenger": np.asarray(model.predict(holdout[self.feature_columns()]), dtype="float64"),
                  self.baseline_label: self.baseline_predictions(holdout)}
        counts = plots.storm_counts(holdout[STORM_ID].to_numpy(), y, curves)
        return {"plots/reliability.png": plots.reliability_curve(y, curves, self.name),
                "plots/storm_expected_vs_actual.png": plots.expected_vs_actual(counts, self.name)}

    def params(self) -> dict[str, Any]:
        """Split, calibration and gate settings recorded with each run."""
        return {
            "holdout_storms": self.config.holdout_storms,
            "calibration_share": self.config.calibration_share,
            "gate_metric": self.gate.metric,
            "gate_min_relative_improvement": self.gate.min_relative_improvement,
        }


def outage_metrics(y: np.ndarray, p: np.ndarray, storm_ids: np.ndarray) -> dict[str, float]:
    """Metrics of outage probabilities `p` against outcomes `y` (0/1), storms given per row.

    - pr_auc: average precision (area under precision-recall), how well the riskiest assets are
      ranked first; the base rate is its floor.
    - brier: mean squared error of the probabilities (lower is better; calibration + ranking).
    - log_loss: the same judged by likelihood.
    - storm_count_mape: mean over storms of |sum p - failures| / max(failures, 1), in percent: how
      far the expected outage count (what crews are staged from) was from what happened.
    - expected_over_actual: sum p / failures over all storms (1.0 = counts unbiased).
    """
    from sklearn.metrics import average_precision_score, brier_score_loss, log_loss

    if len(y) == 0:
        raise InsufficientDataError("no holdout rows to score")
    p = np.clip(np.nan_to_num(p, nan=0.0), 0.0, 1.0)
    has_both = 0 < y.sum() < len(y)
    codes, _ = pd.factorize(pd.Series(storm_ids))
    expected = np.bincount(codes, weights=p)
    actual = np.bincount(codes, weights=y)
    return {
        "pr_auc": float(average_precision_score(y, p)) if has_both else float("nan"),
        "brier": float(brier_score_loss(y, p)),
        "log_loss": float(log_loss(y, np.clip(p, 1e-6, 1 - 1e-6), labels=[0, 1])),
        "storm_count_mape": float(np.mean(np.abs(expected - actual) / np.maximum(actual, 1.0)) * 100.0),
        "expected_over_actual": float(expected.sum() / actual.sum()) if actual.sum() > 0 else float("nan"),
        "base_rate": float(y.mean()),
    }


def gust_band(gust_mph: np.ndarray) -> np.ndarray:
    """Band index of each gust (0 below 50 mph ... 4 from 100 mph); -1 when the figure is missing."""
    gust = np.asarray(gust_mph, dtype="float64")
    return np.where(np.isnan(gust), -1, np.searchsorted(np.array(GUST_BANDS), gust, side="right"))


def climatology_baseline(frame: pd.DataFrame) -> np.ndarray:
    """Per row, the failure rate of all EARLIER storms with the same event and gust band.

    What a planner without a model would use: "in past storms like this, x % of assets failed".
    Only storms that started before the row's storm count (as of issue time, no look-ahead). Falls
    back to earlier storms of the same event when the band has fewer than `BASELINE_MIN_ROWS`
    rows, then to all earlier storms, then to `BASELINE_PRIOR`.
    """
    per_storm = pd.DataFrame({
        STORM_ID: frame[STORM_ID].to_numpy(),
        "start": frame["storm_start_utc"].to_numpy(),
        "event": frame["event"].to_numpy(),
        "band": gust_band(frame["max_wind_gust_mph"].to_numpy()),
        "failed": frame[TARGET].to_numpy(dtype="float64"),
    }).groupby(STORM_ID, sort=False).agg(start=("start", "first"), event=("event", "first"),
                                         band=("band", "first"), rows=("failed", "size"),
                                         failures=("failed", "sum"))
    per_storm = per_storm.sort_values(["start"], kind="stable")
    rates = {}
    seen: dict[tuple, tuple[float, float]] = {}
    for storm_id, row in per_storm.iterrows():
        rate = BASELINE_PRIOR
        for key in (("band", row.event, row.band), ("event", row.event), ("all",)):
            rows, failures = seen.get(key, (0.0, 0.0))
            if rows >= (BASELINE_MIN_ROWS if key[0] != "all" else 1):
                rate = failures / rows
                break
        rates[storm_id] = rate
        for key in (("band", row.event, row.band), ("event", row.event), ("all",)):
            rows, failures = seen.get(key, (0.0, 0.0))
            seen[key] = (rows + row.rows, failures + row.failures)
    return frame[STORM_ID].map(rates).to_numpy(dtype="float64")


def _storm_order(frame: pd.DataFrame) -> list[str]:
    """Storm ids by start time (then id): the order splits follow."""
    first = frame.groupby(STORM_ID, sort=False)[TIME].min().reset_index()
    return first.sort_values([TIME, STORM_ID], kind="stable")[STORM_ID].tolist()
