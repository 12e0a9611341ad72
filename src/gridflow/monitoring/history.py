"""The monitor's cool-down inputs: the last retrain trigger, a retrain under way, the champion's age."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine

from gridflow.monitoring.types import Champion
from gridflow.warehouse import drift_checks

# Scheduled runs further out than this are the cron's future runs, not a retrain under way.
_SCHEDULED_SOON = timedelta(minutes=10)


def gather_history(engine: Engine, model: str, champion: Champion) -> dict[str, Any]:
    """Cool-down inputs: last trigger, a retrain of this model under way, the champion's age."""
    now = datetime.now(UTC)
    with engine.connect() as conn:
        last = drift_checks.last_trigger_at(conn, model)
    age = None if champion.created_at_ms is None else (now.timestamp() * 1000 - champion.created_at_ms) / 86_400_000
    return {
        "last_trigger_at": None if last is None else last.isoformat(),
        "hours_since_last_trigger": None if last is None else (now - last).total_seconds() / 3600,
        "retrain_running": retrain_under_way(model, now),
        "champion_age_days": age,
    }


def retrain_under_way(model: str, now: datetime) -> bool:
    """Whether a `retrain` run for `model` is running, pending or scheduled to start now."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        FlowFilter,
        FlowFilterName,
        FlowRunFilter,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType

    active = [StateType.RUNNING, StateType.PENDING, StateType.SCHEDULED]
    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(
            flow_filter=FlowFilter(name=FlowFilterName(any_=["retrain"])),
            flow_run_filter=FlowRunFilter(state=FlowRunFilterState(type=FlowRunFilterStateType(any_=active))),
            limit=200,
        )
    for run in runs:
        if (run.parameters or {}).get("model", "load_forecast") != model:
            continue
        if run.state_type == StateType.SCHEDULED and run.expected_start_time is not None \
                and run.expected_start_time > now + _SCHEDULED_SOON:
            continue
        return True
    return False
