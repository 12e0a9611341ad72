"""The warehouse: hourly load observations, the ingest ledger and the promotion audit.

SQLAlchemy Core on SQLite (embedded default) or PostgreSQL, with identical behaviour on both.
Schema changes go through the Alembic migrations in `migrations/`; call `upgrade(engine)` on
start. All writes go through this package (never pandas `to_sql` or raw drivers), so stored
timestamps keep one format and upserts stay idempotent.
"""

from gridflow.warehouse.audit import (
    current_champion,
    decision_history,
    previous_champion,
    record_decision,
)
from gridflow.warehouse.engine import make_engine, upgrade
from gridflow.warehouse.ledger import (
    LedgerError,
    find_loaded,
    finish_ingest,
    list_ingests,
    start_ingest,
)
from gridflow.warehouse.loads import read_load_observations, write_load_observations
from gridflow.warehouse.tables import ingest_ledger, load_observation, metadata, promotion_audit
from gridflow.warehouse.types import UTCDateTime, WallClockDateTime
from gridflow.warehouse.upsert import DuplicateKeyError, upsert_frame

__all__ = [
    "DuplicateKeyError",
    "LedgerError",
    "UTCDateTime",
    "WallClockDateTime",
    "current_champion",
    "decision_history",
    "find_loaded",
    "finish_ingest",
    "ingest_ledger",
    "list_ingests",
    "load_observation",
    "make_engine",
    "metadata",
    "previous_champion",
    "promotion_audit",
    "read_load_observations",
    "record_decision",
    "start_ingest",
    "upgrade",
    "upsert_frame",
    "write_load_observations",
]
