"""Fitting the challenger and its rolling-origin backtest."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from gridflow.runtime import log
from gridflow.usecases.base import Fitted, UseCase


def train_challenger(use_case: UseCase, features: pd.DataFrame) -> Fitted:
    """Fit the challenger on the rows before the evaluation window."""
    train, _ = use_case.split(features)
    fitted = use_case.fit(train)
    log().info("fitted %s on %d rows in %.1f s", use_case.name, fitted.train_rows, fitted.fit_seconds)
    return fitted


def backtest_records(use_case: UseCase, features: pd.DataFrame) -> list[dict[str, Any]]:
    """The use case's backtest as JSON-safe records, one per fold (empty when it has none)."""
    table = use_case.backtest(features)
    return json.loads(table.to_json(orient="records", date_format="iso")) if not table.empty else []
