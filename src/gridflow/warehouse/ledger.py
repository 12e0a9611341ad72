"""Ingest ledger: one row per attempt to load a file or payload, with its outcome.

Typical use, each step in its own transaction so a failure is still recorded:

    with engine.begin() as conn:
        if find_loaded(conn, "pjm_load", sha) is not None:
            ...  # identical content already loaded: record "skipped" and stop
        ingest_id = start_ingest(conn, "pjm_kaggle_csv", "pjm_load", path, sha)
    with engine.begin() as conn:
        written = write_load_observations(conn, frame, ingest_id)
        finish_ingest(conn, ingest_id, "loaded", rows_read=len(frame), rows_written=written)

A row records the flow run attempt that opened it. A run killed mid-ingest (kill -9, reboot) leaves
its row "started"; the next ingest of the same source closes it as failed ("abandoned") once Prefect
says that attempt is over (Crashed, retried, gone). Rows are written in the transaction that finishes
their ledger row, so the killed attempt committed none and its input is simply loaded again. A Retry
of the killed run may still finish the row with its real outcome.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Row, insert, select, update

from gridflow.errors import GridflowError
from gridflow.run_attempts import RunAttempt, current_attempt, ended_attempts
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


# Which of these attempts are over, each with why ("ended Crashed"); attempts still running are absent.
EndedAttempts = Callable[[Sequence[RunAttempt]], Mapping[RunAttempt, str]]
# A row opened outside any flow run has no run to ask about: abandoned once this old.
UNOWNED_LEASE = timedelta(hours=6)
_CURRENT: Any = object()
# (attempt, source) pairs whose abandoned rows this process has already closed: once per run is enough.
_swept: set[tuple[RunAttempt, str]] = set()
_swept_lock = threading.Lock()


def start_ingest(
    conn: Connection, source: str, dataset: str, locator: str, content_sha256: str,
    *, opened_by: RunAttempt | None = _CURRENT, ended: EndedAttempts | None = None,
) -> int:
    """Record that an ingest began (status "started"); returns its ledger id.

    The row records the flow run attempt that opens it (`opened_by`, by default the current one);
    rows of `source` that earlier attempts left started are closed first (`close_abandoned`).
    """
    if opened_by is _CURRENT:
        opened_by = current_attempt()
    _close_once(conn, source, opened_by, ended)
    result = conn.execute(
        insert(ingest_ledger).values(
            source=source,
            dataset=dataset,
            locator=str(locator),
            content_sha256=content_sha256,
            status="started",
            details=None if opened_by is None else {"opened_by": opened_by.as_json()},
            started_at=datetime.now(UTC),
        )
    )
    return int(result.inserted_primary_key[0])


def _close_once(conn: Connection, source: str, opened_by: RunAttempt | None, ended: EndedAttempts | None) -> None:
    if opened_by is None:  # outside a run: no Prefect to ask, only the lease applies
        close_abandoned(conn, source, None, ended or (lambda _attempts: {}))
        return
    with _swept_lock:
        if (opened_by, source) in _swept:
            return
    close_abandoned(conn, source, opened_by, ended or ended_attempts)
    with _swept_lock:
        _swept.add((opened_by, source))


def close_abandoned(conn: Connection, source: str, current: RunAttempt | None, ended: EndedAttempts,
                    now: datetime | None = None) -> dict[int, str]:
    """Close as failed the "started" rows of `source` whose attempt is over (`ended` says which, with
    why), or, opened outside any run, older than `UNOWNED_LEASE`. Rows of the `current` attempt
    are its own. Returns {ledger id: reason} of the rows closed."""
    now = now or datetime.now(UTC)
    t = ingest_ledger.c
    rows = conn.execute(select(t.id, t.details, t.started_at).where(t.source == source, t.status == "started")).all()
    reasons: dict[int, str] = {}
    abandoned_by: dict[int, RunAttempt] = {}
    owned: dict[RunAttempt, list[int]] = {}
    for row in rows:
        attempt = RunAttempt.from_json(row.details.get("opened_by")) if isinstance(row.details, dict) else None
        if attempt is None:
            if row.started_at < now - UNOWNED_LEASE:
                reasons[row.id] = (f"abandoned: opened outside a flow run at {row.started_at:%Y-%m-%d %H:%M} UTC "
                                   "and never finished")
        elif attempt != current:
            owned.setdefault(attempt, []).append(row.id)
    if owned:
        for attempt, why in ended(list(owned)).items():
            for ledger_id in owned.get(attempt, []):
                abandoned_by[ledger_id] = attempt
                reasons[ledger_id] = (f"abandoned: flow run {attempt.flow_run_id} (attempt {attempt.attempt}) "
                                      f"{why} before finishing this ingest; none of its rows were committed")
    for ledger_id, reason in reasons.items():
        attempt = abandoned_by.get(ledger_id)
        conn.execute(
            update(ingest_ledger)
            # Another run may have closed it first: then this changes nothing.
            .where(t.id == ledger_id, t.status == "started")
            .values(status="failed", reason=reason, finished_at=now,
                    details={"abandoned": {"opened_by": None if attempt is None else attempt.as_json()}})
        )
    return reasons


def _abandoned(details: Any) -> bool:
    return isinstance(details, dict) and "abandoned" in details


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
    """Close a started ingest (or one closed as abandoned, by its run's Retry) with its final
    status (loaded|skipped|quarantined|failed).

    `details` is stored as JSON (e.g. the failing expectations of a quarantined batch); `reason`
    is kept to its first `MAX_REASON` characters. Raises LedgerError if the id is unknown or the
    ingest was already finished.
    """
    if status not in FINAL_STATUSES:
        raise ValueError(f"status must be one of {FINAL_STATUSES}, not {status!r}")
    t = ingest_ledger.c
    values = {
        "status": status,
        "rows_read": None if rows_read is None else int(rows_read),
        "rows_written": None if rows_written is None else int(rows_written),
        "reason": None if reason is None else reason[:MAX_REASON],
        "details": details,
        "finished_at": datetime.now(UTC),
    }
    # Only a started ingest can finish: a second finish would overwrite the real outcome.
    result = conn.execute(update(ingest_ledger).where(t.id == ingest_id, t.status == "started").values(**values))
    if result.rowcount == 1:
        return
    current = conn.execute(select(t.status, t.details).where(t.id == ingest_id)).first()
    if current is None:
        raise LedgerError(f"no ingest with ledger id {ingest_id}")
    if current.status == "failed" and _abandoned(current.details):
        # Closed as abandoned while its run was down; a Retry of that run finished the work after all.
        conn.execute(update(ingest_ledger).where(t.id == ingest_id, t.status == "failed").values(**values))
        return
    raise LedgerError(f"ingest {ingest_id} is already finished with status {current.status!r}")


def list_ingests(conn: Connection, dataset: str | None = None, limit: int = 50) -> list[dict]:
    """Most recent ingests first, optionally only for `dataset`, as plain dicts."""
    t = ingest_ledger.c
    stmt = select(ingest_ledger).order_by(t.id.desc()).limit(limit)
    if dataset is not None:
        stmt = stmt.where(t.dataset == dataset)
    return [dict(row._mapping) for row in conn.execute(stmt)]
