"""Ledger rows a killed run left "started": closed by the next ingest of the source once the run
that opened them is over, and still finished by that run's own Retry; on both dialects."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from sqlalchemy import update

from gridflow.run_attempts import RunAttempt
from gridflow.warehouse.ledger import (
    UNOWNED_LEASE,
    LedgerError,
    close_abandoned,
    finish_ingest,
    list_ingests,
    start_ingest,
)
from gridflow.warehouse.tables import ingest_ledger

SHA = "b" * 64


def attempt() -> RunAttempt:
    # Fresh runs per test: a process sweeps each (attempt, source) once.
    return RunAttempt(str(uuid4()), 1)


def over(*attempts: RunAttempt):
    """An `ended` lookup that knows these attempts as crashed, and records what it was asked."""
    asked: list[list[RunAttempt]] = []

    def ended(candidates):
        asked.append(sorted(candidates, key=str))
        return {a: "ended Crashed" for a in candidates if a in attempts}

    ended.asked = asked
    return ended


def rows(db) -> dict[int, dict]:
    with db.connect() as conn:
        return {r["id"]: r for r in list_ingests(conn)}


def test_the_next_ingest_closes_the_rows_of_a_crashed_attempt_only(db):
    crashed_run, live_run, next_run = attempt(), attempt(), attempt()
    with db.begin() as conn:
        killed = start_ingest(conn, "pjm_load_csv", "pjm_load", "/drop/a.csv", SHA, opened_by=crashed_run, ended=over())
        alive = start_ingest(conn, "pjm_load_csv", "pjm_load", "/drop/b.csv", SHA, opened_by=live_run, ended=over())
        other_source = start_ingest(conn, "meter_file_drop", "meter_interval", "/drop/m.csv", SHA,
                                    opened_by=crashed_run, ended=over())
    assert rows(db)[killed]["details"] == {"opened_by": {"flow_run_id": crashed_run.flow_run_id, "attempt": 1}}

    ended = over(crashed_run)
    with db.begin() as conn:
        new = start_ingest(conn, "pjm_load_csv", "pjm_load", "/drop/a.csv", SHA, opened_by=next_run, ended=ended)
    after = rows(db)
    assert after[killed]["status"] == "failed"
    assert after[killed]["reason"] == (f"abandoned: flow run {crashed_run.flow_run_id} (attempt 1) ended Crashed before "
                                       "finishing this ingest; none of its rows were committed")
    assert after[killed]["details"] == {"abandoned": {"opened_by": crashed_run.as_json()}}
    assert after[killed]["finished_at"] is not None
    # A live run's row and another source's row are left alone; Prefect was asked about the others only.
    assert after[alive]["status"] == after[other_source]["status"] == after[new]["status"] == "started"
    assert ended.asked == [sorted([crashed_run, live_run], key=str)]


def test_a_retry_of_the_killed_run_still_finishes_its_row(db):
    crashed_run, next_run = attempt(), attempt()
    with db.begin() as conn:
        killed = start_ingest(conn, "pjm_load_csv", "pjm_load", "/drop/a.csv", SHA, opened_by=crashed_run, ended=over())
        close_abandoned(conn, "pjm_load_csv", next_run, over(crashed_run))
        # The Retry reuses its persisted ticket and records the real outcome.
        finish_ingest(conn, killed, "loaded", rows_read=10, rows_written=10, details={"issues": []})
        with pytest.raises(LedgerError, match="already finished with status 'loaded'"):
            finish_ingest(conn, killed, "loaded")
    row = rows(db)[killed]
    assert row["status"] == "loaded" and row["rows_written"] == 10 and row["details"] == {"issues": []}


def test_a_row_failed_for_a_real_reason_is_not_reopened(db):
    crashed_run = attempt()
    with db.begin() as conn:
        ingest_id = start_ingest(conn, "s", "d", "loc", SHA, opened_by=crashed_run, ended=over())
        finish_ingest(conn, ingest_id, "failed", reason="ParseError: bad header")
        with pytest.raises(LedgerError, match="already finished with status 'failed'"):
            finish_ingest(conn, ingest_id, "loaded")


def test_rows_opened_outside_a_run_are_abandoned_after_the_lease(db):
    with db.begin() as conn:
        old = start_ingest(conn, "s", "d", "old", SHA, opened_by=None)
        fresh = start_ingest(conn, "s", "d", "fresh", SHA, opened_by=None)
        conn.execute(update(ingest_ledger).where(ingest_ledger.c.id == old)
                     .values(started_at=datetime.now(UTC) - UNOWNED_LEASE - timedelta(minutes=1)))
        closed = close_abandoned(conn, "s", None, over())
    assert list(closed) == [old] and closed[old].startswith("abandoned: opened outside a flow run")
    after = rows(db)
    assert after[old]["status"] == "failed" and after[old]["details"] == {"abandoned": {"opened_by": None}}
    assert after[fresh]["status"] == "started" and after[fresh]["details"] is None


def test_each_attempt_sweeps_a_source_once(db):
    current = attempt()
    with db.begin() as conn:
        start_ingest(conn, "once", "d", "x", SHA, opened_by=attempt(), ended=over())
    ended = over()
    with db.begin() as conn:
        for name in ("a", "b", "c"):
            start_ingest(conn, "once", "d", name, SHA, opened_by=current, ended=ended)
    assert len(ended.asked) == 1
