"""The champion under watch, its reference frame, and the current window with its predictions."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from sqlalchemy.engine import Engine

from gridflow import frames as f
from gridflow.errors import RegistryError
from gridflow.monitoring.reference import PREDICTION, REFERENCE_PATH, clock_column
from gridflow.monitoring.types import Champion, Window
from gridflow.registry import mlflow_registry as registry
from gridflow.runtime import log, mlflow_ready

if TYPE_CHECKING:
    from gridflow.usecases.base import UseCase


def find_champion(model: str) -> Champion | None:
    """The version the `champion` alias points at, with its run's metrics and parameters."""
    mlflow_ready()
    info = registry.alias_version(model, registry.CHAMPION)
    if info is None:
        return None
    params = registry.run_params(info.run_id) if info.run_id else {}
    return Champion(info.version, info.run_id, info.created_at_ms, info.metrics, params)


def load_reference(model: str, champion: Champion) -> pd.DataFrame:
    """The champion's training features and predictions, as logged when it was trained."""
    mlflow_ready()
    if champion.run_id is None:
        raise RegistryError(f"{model} v{champion.version} has no training run to read")
    frame = registry.download_frame(champion.run_id, REFERENCE_PATH)
    log().info("%s v%s: %d reference rows", model, champion.version, len(frame))
    return frame


def build_current_window(use_case: UseCase, engine: Engine, window_days: int, champion: Champion) -> Window:
    """Features of the last `window_days` days (local, else UTC) in the warehouse, and how many rows with a
    known target landed after the champion's training window."""
    with engine.connect() as conn:
        raw = use_case.load_dataset(conn)
    feats = use_case.build_features(raw)
    known = feats[feats[use_case.target].notna()]
    train_end = champion.params.get("train_end_utc")
    new_rows = len(known) if not train_end else int((known[f.INTERVAL_START_UTC] > pd.Timestamp(train_end)).sum())
    day_column = clock_column(feats)
    last_day = feats[day_column].max().normalize()
    first_day = last_day - pd.Timedelta(days=window_days - 1)
    window = feats[feats[day_column] >= first_day].reset_index(drop=True)
    times = window[f.INTERVAL_START_UTC]
    log().info("%s: %d rows from %s to %s local, %d new rows since training end %s", use_case.name, len(window),
               first_day.date(), last_day.date(), new_rows, train_end)
    return Window(window, str(times.min()), str(times.max()), new_rows)


def predict_champion(use_case: UseCase, champion: Champion, window: Window) -> Window:
    """The window with the champion's predictions in column `prediction`."""
    mlflow_ready()
    loaded = registry.load_model(use_case.name, champion.version)
    needed = registry.model_input_columns(loaded) or use_case.feature_columns()
    frame = window.frame.copy()
    frame[PREDICTION] = np.asarray(loaded.predict(frame[needed]), dtype="float64")
    return Window(frame, window.start_utc, window.end_utc, window.new_rows)
