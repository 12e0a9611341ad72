"""The issued day-ahead forecast as the API answers it, read from the warehouse."""

from __future__ import annotations

from datetime import date
from typing import Any

from gridflow.issuing import report
from gridflow.runtime import warehouse
from gridflow.warehouse.forecast_issued import read_issued_with_actuals


def issued_forecast(zone: str, target_date: date) -> dict[str, Any] | None:
    """The latest issue of `zone` for `target_date` with its model version and rows, or None."""
    with warehouse().connect() as conn:
        frame = read_issued_with_actuals(conn, zone=zone, target_date=target_date)
    issued = report.latest_issue(frame)
    if issued.empty:
        return None
    first = issued.iloc[0]
    return {
        "zone": zone,
        "date": target_date.isoformat(),
        "model": str(first["model_name"]),
        "version": str(first["model_version"]),
        "issued_at_utc": str(first["issued_at_utc"]),
        "rows": report.table_rows(issued),
    }
