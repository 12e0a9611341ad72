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
    return _records(use_case.backtest(features))


def backtest_part_records(use_case: UseCase, features: pd.DataFrame, part: int) -> list[dict[str, Any]]:
    """One independent part of the backtest (see `UseCase.backtest_parts`) as JSON-safe records."""
    return _records(use_case.backtest_part(features, part))


def join_backtest(parts: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """The parts' records in part order: the same table `backtest_records` gives in one piece."""
    return [record for part in parts for record in part]


def _records(table: pd.DataFrame) -> list[dict[str, Any]]:
    return json.loads(table.to_json(orient="records", date_format="iso")) if not table.empty else []
