"""Ingest ledger: one row per attempt to load a file or payload, with its outcome.

Typical use, each step in its own transaction so a failure is still recorded:

    with engine.begin() as conn:
        if find_loaded(conn, "pjm_load", sha) is not None:
            ...  # identical content already loaded: record "skipped" and stop
        ingest_id = start_ingest(conn, "pjm_kaggle_csv", "pjm_load", path, sha)
    with engine.begin() as conn:
        written = write_load_observations(conn, frame, ingest_id)
        finish_ingest(conn, ingest_id, "loaded", rows_read=len(frame), rows_written=written)
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Row, insert, select, update

from gridflow.errors import GridflowError
from gridflow.warehouse.tables import INGEST_STATUSES, ingest_ledger

FINAL_STATUSES = tuple(s for s in INGEST_STATUSES if s != "started")


class LedgerError(GridflowError):
    """An ingest ledger entry is missing or cannot make the requested transition."""


def find_loaded(conn: Connection, dataset: str, content_sha256: str) -> Row[Any] | None:
    """The latest ingest that successfully loaded this exact content into `dataset`, or None."""
    t = ingest_ledger.c
    stmt = (
        select(ingest_ledger)
        .where(t.dataset == dataset, t.content_sha256 == content_sha256, t.status == "loaded")
        .order_by(t.id.desc())
        .limit(1)
    )
    return conn.execute(stmt).first()


def start_ingest(
    conn: Connection, source: str, dataset: str, locator: str, content_sha256: str
) -> int:
    """Record that an ingest began (status "started"); returns its ledger id."""
    result = conn.execute(
        insert(ingest_ledger).values(
            source=source,
            dataset=dataset,
            locator=str(locator),
            content_sha256=content_sha256,
            status="started",
            started_at=datetime.now(UTC),
        )
    )
    return int(result.inserted_primary_key[0])


# A malformed file can produce an error message of megabytes; the ledger keeps its head.
MAX_REASON = 4000


def finish_ingest(
    conn: Connection,
    ingest_id: int,
    status: str,
    rows_read: int | None = None,
    rows_written: int | None = None,
    reason: str | None = None,
    details: Any = None,
) -> None:
    """Close a started ingest with its final status (loaded|skipped|quarantined|failed).

    `details` is stored as JSON (e.g. the failing expectations of a quarantined batch); `reason`
    is kept to its first `MAX_REASON` characters. Raises LedgerError if the id is unknown or the
    ingest was already finished.
    """
    if status not in FINAL_STATUSES:
        raise ValueError(f"status must be one of {FINAL_STATUSES}, not {status!r}")
    t = ingest_ledger.c
    result = conn.execute(
        update(ingest_ledger)
        # Only a started ingest can finish: a second finish would overwrite the real outcome.
        .where(t.id == ingest_id, t.status == "started")
        .values(
            status=status,
            rows_read=None if rows_read is None else int(rows_read),
            rows_written=None if rows_written is None else int(rows_written),
            reason=None if reason is None else reason[:MAX_REASON],
            details=details,
            finished_at=datetime.now(UTC),
        )
    )
    if result.rowcount == 1:
        return
    current = conn.execute(select(t.status).where(t.id == ingest_id)).scalar_one_or_none()
    if current is None:
        raise LedgerError(f"no ingest with ledger id {ingest_id}")
    raise LedgerError(f"ingest {ingest_id} is already finished with status {current!r}")


def list_ingests(conn: Connection, dataset: str | None = None, limit: int = 50) -> list[dict]:
    """Most recent ingests first, optionally only for `dataset`, as plain dicts."""
    t = ingest_ledger.c
    stmt = select(ingest_ledger).order_by(t.id.desc()).limit(limit)
    if dataset is not None:
        stmt = stmt.where(t.dataset == dataset)
    return [dict(row._mapping) for row in conn.execute(stmt)]
