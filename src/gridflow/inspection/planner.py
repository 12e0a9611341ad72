"""The inspection plan from the warehouse: read the stream's health scores, rank, render."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pandas as pd

from gridflow.inspection.plan import DEFAULT_URGENCY, Urgency, plan_inspections, plan_markdown
from gridflow.runtime import warehouse
from gridflow.warehouse.health_scores import read_health_scores


@dataclass(frozen=True)
class InspectionPlan:
    """The ranked units, the markdown the artifact shows, and what triggered it."""

    table: pd.DataFrame
    markdown: str
    trigger: str

    def records(self) -> list[dict]:
        """JSON-safe rows for a table artifact and the flow's result."""
        return [{k: (None if pd.isna(v) else str(v) if isinstance(v, pd.Timestamp) else v) for k, v in row.items()}
                for row in self.table.to_dict(orient="records")]


def current_plan(trigger: str, lookback_days: int = 365, urgency: Urgency = DEFAULT_URGENCY) -> InspectionPlan:
    """Rank every unit whose latest score in the last `lookback_days` is over its threshold."""
    since = datetime.now(UTC) - timedelta(days=lookback_days)
    with warehouse().connect() as conn:
        scores = read_health_scores(conn, since)
    table = plan_inspections(scores, urgency)
    return InspectionPlan(table, plan_markdown(table, trigger), trigger)
