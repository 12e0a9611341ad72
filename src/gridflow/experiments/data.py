"""What the A/B report reads: the arms' versions from the registry, the logged rows from the
warehouse, the actuals from the use case, and the report's thresholds from the traffic rule."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pandas as pd
from sqlalchemy.engine import Engine

from gridflow.config import section
from gridflow.experiments.compare import ArmComparison, Arms, compare_arms
from gridflow.registry import mlflow_registry as registry
from gridflow.runtime import mlflow_ready
from gridflow.usecases.catalog import get_use_case
from gridflow.usecases.configs import ApiConfig, TrafficRule
from gridflow.warehouse.predictions import read_predictions


def find_arms(model: str) -> Arms:
    """Where `champion` and `challenger` point now (the versions the report compares)."""
    mlflow_ready()
    champion = registry.alias_version(model, registry.CHAMPION)
    challenger = registry.alias_version(model, registry.CHALLENGER)
    return Arms(None if champion is None else champion.version,
                None if challenger is None else challenger.version,
                None if challenger is None else challenger.run_id)


def parse_since(since: str | None) -> datetime | None:
    """An ISO date or instant as an aware UTC datetime (a naive one is read as UTC); None stays None."""
    if since is None or not since.strip():
        return None
    stamp = pd.Timestamp(since.strip())
    stamp = stamp.tz_localize(UTC) if stamp.tzinfo is None else stamp.tz_convert(UTC)
    return stamp.to_pydatetime()


@dataclass(frozen=True)
class ScoredRows:
    """The logged rows of the compared versions and the actual per request key (None: the use case
    has no actuals)."""

    rows: pd.DataFrame
    actuals: pd.Series | None


def load_scored_rows(engine: Engine, model: str, arms: Arms, since: str | None = None) -> ScoredRows:
    """The logged rows of the two versions (from `since`) and the use case's actuals of their keys."""
    versions = [v for v in (arms.champion_version, arms.challenger_version) if v is not None]
    use_case = get_use_case(model)
    with engine.connect() as conn:
        rows = read_predictions(conn, model, parse_since(since), versions)
        keys = sorted({str(k) for k in rows["request_key"].dropna()})
        actuals = use_case.actuals(conn, keys)
    return ScoredRows(rows, actuals)


def report_rule(model: str) -> TrafficRule:
    """The model's traffic rule (its `alpha` and `min_rows`), or the defaults when it has none."""
    return section("api", ApiConfig).traffic.get(model) or TrafficRule()


def compare_logged(model: str, arms: Arms, scored: ScoredRows, *, alpha: float | None = None,
                   min_rows: int | None = None) -> ArmComparison:
    """`compare_arms` on what `load_scored_rows` read, with the rule's thresholds unless given."""
    rule = report_rule(model)
    return compare_arms(model, arms, scored.rows, scored.actuals,
                        alpha=rule.alpha if alpha is None else alpha,
                        min_rows=rule.min_rows if min_rows is None else min_rows)


def evaluate(engine: Engine, model: str, since: str | None = None, *, alpha: float | None = None,
             min_rows: int | None = None) -> ArmComparison:
    """The whole report without recording anything (`gridflow ab report` without `--apply`)."""
    arms = find_arms(model)
    return compare_logged(model, arms, load_scored_rows(engine, model, arms, since), alpha=alpha, min_rows=min_rows)
