"""Ingest ledger lifecycle on both dialects."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pytest
from sqlalchemy.exc import IntegrityError

from gridflow.errors import GridflowError
from gridflow.warehouse.ledger import (
    LedgerError,
    find_loaded,
    finish_ingest,
    list_ingests,
    start_ingest,
)
from gridflow.warehouse.tables import ingest_ledger

SHA = "a" * 64


def test_lifecycle_started_to_loaded(db):
    with db.begin() as conn:
        assert find_loaded(conn, "pjm_load", SHA) is None
        ingest_id = start_ingest(conn, "pjm_kaggle_csv", "pjm_load", "/data/PJME_hourly.csv", SHA)
        # A started ingest is not "loaded": a crash mid-load must not block a retry.
        assert find_loaded(conn, "pjm_load", SHA) is None
        finish_ingest(conn, ingest_id, "loaded", rows_read=np.int64(145_366), rows_written=145_366)

    with db.connect() as conn:
        row = find_loaded(conn, "pjm_load", SHA)
        assert row is not None
        assert row.id == ingest_id and row.status == "loaded"
        assert row.rows_read == 145_366 and row.rows_written == 145_366
        assert row.locator == "/data/PJME_hourly.csv"
        assert row.started_at.tzname() == "UTC" and row.finished_at >= row.started_at
        # Content hashes are per dataset.
        assert find_loaded(conn, "ercot_load", SHA) is None


def test_quarantine_keeps_failing_expectations(db):
    failures = [
        {"expectation": "expect_column_values_to_not_be_null", "column": "load_mw", "count": 3},
        {"expectation": "expect_column_values_to_be_between", "observed": float("nan")},
    ]
    with db.begin() as conn:
        ingest_id = start_ingest(conn, "ercot_api", "ercot_load", "https://example/api", SHA)
        finish_ingest(
            conn,
            ingest_id,
            "quarantined",
            rows_read=10,
            reason="2 expectations failed",
            details={"failures": failures, "checked_at": datetime(2026, 1, 1)},
        )
    with db.connect() as conn:
        assert find_loaded(conn, "ercot_load", SHA) is None
        (entry,) = list_ingests(conn, dataset="ercot_load")
    assert entry["status"] == "quarantined" and entry["rows_written"] is None
    assert entry["details"]["failures"][0] == failures[0]
    # NaN is not JSON: it is stored as null on both dialects.
    assert entry["details"]["failures"][1]["observed"] is None
    assert entry["details"]["checked_at"] == "2026-01-01T00:00:00"


def test_finish_rules(db):
    with db.begin() as conn:
        ingest_id = start_ingest(conn, "s", "d", "loc", SHA)
        with pytest.raises(ValueError, match="status"):
            finish_ingest(conn, ingest_id, "started")
        with pytest.raises(ValueError, match="status"):
            finish_ingest(conn, ingest_id, "done")
        finish_ingest(conn, ingest_id, "failed", reason="boom")
        with pytest.raises(LedgerError, match="already finished with status 'failed'"):
            finish_ingest(conn, ingest_id, "loaded")
        with pytest.raises(LedgerError, match="no ingest"):
            finish_ingest(conn, ingest_id + 99, "loaded")
    assert issubclass(LedgerError, GridflowError)


def test_status_is_constrained_in_the_database(db):
    with db.begin() as conn, pytest.raises(IntegrityError):
        conn.execute(
            ingest_ledger.insert().values(
                source="s",
                dataset="d",
                locator="l",
                content_sha256=SHA,
                status="bogus",
                started_at=datetime.now().astimezone(),
            )
        )


def test_list_ingests_newest_first_with_filter_and_limit(db):
    with db.begin() as conn:
        ids = [start_ingest(conn, "s", "pjm_load" if i % 2 else "ercot_load", f"f{i}", SHA)
               for i in range(5)]
        finish_ingest(conn, ids[1], "skipped", reason="identical content already loaded")
    with db.connect() as conn:
        everything = list_ingests(conn)
        pjm = list_ingests(conn, dataset="pjm_load")
        latest = list_ingests(conn, limit=2)
    assert [e["id"] for e in everything] == ids[::-1]
    assert [e["id"] for e in pjm] == [ids[3], ids[1]]
    assert [e["id"] for e in latest] == ids[:2:-1][:2]
    assert pjm[1]["status"] == "skipped" and pjm[0]["status"] == "started"
    assert isinstance(everything[0], dict)
