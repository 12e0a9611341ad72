"""Reads of `asset_health_score`, the stream consumer's output (the write path is gridflow.streaming)."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
from sqlalchemy import Connection, select

from gridflow.warehouse.tables import asset_health_score


def read_health_scores(conn: Connection, since_utc: datetime | None = None) -> pd.DataFrame:
    """Every stored score (since `since_utc` when given), oldest first, times as UTC timestamps."""
    query = select(asset_health_score).order_by(asset_health_score.c.scored_at_utc, asset_health_score.c.reading_id)
    if since_utc is not None:
        query = query.where(asset_health_score.c.scored_at_utc >= since_utc)
    frame = pd.DataFrame(conn.execute(query).mappings().all(), columns=[c.name for c in asset_health_score.c])
    for column in ("scored_at_utc", "sampled_at_utc"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    frame["degraded"] = frame["degraded"].astype(bool)
    return frame
