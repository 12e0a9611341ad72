"""The stream's one write path into `asset_health_score`: first write wins, keyed by reading id.

A reading delivered twice (at-least-once: a crash before the ack, a rebalance) or re-scored after
a hot swap never adds or changes a row; the caller gets the stored row back, so what it publishes
and announces is always what the warehouse holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, select
from sqlalchemy.dialects import postgresql, sqlite

from gridflow.streaming.messages import Score
from gridflow.warehouse.tables import asset_health_score

_SCORE_COLUMNS = ("reading_id", "asset_id", "health_index", "threshold", "degraded", "model_name",
                  "model_version", "sampled_at_utc", "scored_at_utc")


@dataclass(frozen=True)
class Stored:
    """A reading's score as the warehouse holds it, and whether this write put it there."""

    score: Score
    new: bool


def write_scores(conn: Connection, scores: Sequence[Score], source: str) -> list[Stored]:
    """Insert the scores whose reading id is not stored yet (`source`: broker and topic), in the
    caller's transaction; returns the stored row of every reading id, in first-seen order."""
    first: dict[str, Score] = {}
    for score in scores:
        first.setdefault(score.reading_id, score)
    if not first:
        return []
    rows = [{**{c: getattr(s, c) for c in _SCORE_COLUMNS}, "source": source[:256]} for s in first.values()]
    inserted = {row.reading_id for row in conn.execute(_insert_new(conn), rows)}
    older = [rid for rid in first if rid not in inserted]
    kept = _read(conn, older) if older else {}
    return [Stored(first[rid], True) if rid in inserted else Stored(kept[rid], False) for rid in first]


def read_scores(conn: Connection, reading_ids: Sequence[str] | None = None) -> list[Score]:
    """Stored scores of `reading_ids` (every one when None), by reading id."""
    return sorted(_read(conn, reading_ids).values(), key=lambda s: s.reading_id)


def _insert_new(conn: Connection):
    dialect = conn.dialect.name
    if dialect == "postgresql":
        stmt = postgresql.insert(asset_health_score)
    elif dialect == "sqlite":
        stmt = sqlite.insert(asset_health_score)
    else:
        raise NotImplementedError(f"asset_health_score writes support sqlite and postgresql, not {dialect!r}")
    # RETURNING lists only the rows this statement inserted: exactly the new reading ids.
    return stmt.on_conflict_do_nothing(index_elements=["reading_id"]).returning(asset_health_score.c.reading_id)


def _read(conn: Connection, reading_ids: Sequence[str] | None) -> dict[str, Score]:
    c = asset_health_score.c
    stmt = select(*(c[name] for name in _SCORE_COLUMNS))
    if reading_ids is not None:
        stmt = stmt.where(c.reading_id.in_(list(reading_ids)))
    return {row.reading_id: Score(**row._mapping) for row in conn.execute(stmt)}
