"""Scoring readings with one served version of the model (pure: no broker, no store)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import numpy as np
import pandas as pd

from gridflow.errors import GridflowError
from gridflow.serving.holder import Served
from gridflow.streaming.messages import Reading, Score
from gridflow.transformers.dga_baseline import tdcg
from gridflow.transformers.health_model import FEATURE_COLUMNS, MEASURED


class ModelMismatch(GridflowError):
    """The served model asks for inputs a reading cannot provide."""


def model_inputs(readings: Sequence[Reading], columns: Sequence[str] = FEATURE_COLUMNS) -> pd.DataFrame:
    """The model's input frame, one row per reading: the measurements and TDCG, in `columns` order."""
    frame = pd.DataFrame([r.values for r in readings], columns=MEASURED, dtype="float64")
    frame["tdcg_ppm"] = tdcg(frame)
    unknown = [c for c in columns if c not in frame.columns]
    if unknown:
        raise ModelMismatch(f"the model needs inputs a reading does not carry: {', '.join(unknown)}")
    return frame.loc[:, list(columns)]


def score_readings(served: Served, readings: Sequence[Reading], threshold: float, scored_at: datetime) -> list[Score]:
    """The health index of each reading from `served` (one version for the whole batch);
    a unit at or above `threshold` is degraded (the index rises as a unit deteriorates)."""
    if not readings:
        return []
    # The signature's column order when the model has one; the training order otherwise.
    columns = list(served.input_types) or list(FEATURE_COLUMNS)
    predicted = np.asarray(served.model.predict(model_inputs(readings, columns)), dtype="float64").reshape(-1)
    if len(predicted) != len(readings):
        raise ModelMismatch(f"the model answered {len(predicted)} values for {len(readings)} readings")
    if not np.isfinite(predicted).all():
        raise ModelMismatch(f"{served.name} v{served.version} answered a non-finite health index")
    return [
        Score(
            reading_id=reading.reading_id,
            asset_id=reading.asset_id,
            health_index=float(value),
            threshold=float(threshold),
            degraded=bool(value >= threshold),
            model_name=served.name,
            model_version=served.version,
            sampled_at_utc=reading.sampled_at_utc,
            scored_at_utc=scored_at,
        )
        for reading, value in zip(readings, predicted, strict=True)
    ]
