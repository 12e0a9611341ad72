"""The `ingest-pjm` flow on a real Prefect server against a local stand-in of the PJM API, on
SQLite and PostgreSQL: load, resume from the watermark, verified beats preliminary, and a run that
fails at chunk 3 leaves a warehouse that a healthy re-run brings to exactly a clean run's state."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from gridflow.clients.pjm_dataminer import PJMUnavailableError
from gridflow.replay import ReplayServer, Reply
from gridflow.replay.pjm_dataminer import FakeDataMiner, hourly_load_items
from gridflow.warehouse.watermarks import get_watermark

pytestmark = pytest.mark.integration

KEY = "it-key-5f0c9a"
ZONES = {"AE": {"AECO": 800.0}, "DPL": {"DPLCO": 1600.0, "EASTON": 20.0}}
# 2023-10-29 00:00 EDT .. 2023-11-10 00:00 EST: 12 days plus the fall-back hour.
HOURS = 289
RUN = {"start": "2023-10-29", "end": "2023-11-10", "chunk_days": 4, "row_count": 100,
       "requests_per_minute": 0, "backoff_seconds": 0.01, "max_attempts": 2}
BIG = {**RUN, "chunk_days": 6}


@pytest.fixture
def warehouse_url(warehouse_url, monkeypatch):
    """The shared two-dialect warehouse, with the replayed API's key in the environment."""
    monkeypatch.setenv("PJM_API_KEY", KEY)
    return warehouse_url


@pytest.fixture
def pjm():
    fake = FakeDataMiner("hrl_load_metered", hourly_load_items(ZONES, "2023-10-29T04:00:00", HOURS), KEY)
    with ReplayServer() as server:
        server.add_handler("/api/v1/hrl_load_metered", fake)
        fake.base_url = f"{server.base_url}/api/v1"
        yield fake


def snapshot(engine) -> list[tuple]:
    with engine.connect() as conn:
        return conn.execute(sa.text(
            "SELECT zone, interval_start_utc, interval_start_local, is_dst, load_mw, is_verified "
            "FROM load_observation ORDER BY zone, interval_start_utc")).all()


def watermark(engine, zone: str):
    with engine.connect() as conn:
        return get_watermark(conn, "pjm_api", f"hrl_load_metered/{zone}")


def statuses(engine) -> list[str]:
    with engine.connect() as conn:
        return [row[0] for row in conn.execute(sa.text(
            "SELECT status FROM ingest_ledger WHERE source = 'pjm_api' ORDER BY id"))]


def test_load_resume_and_verified_beats_preliminary(warehouse_url, pjm):
    from flows.ingest_pjm import ingest_pjm
    from gridflow.ingest.progress import page_progress
    from tasks.common import warehouse

    progress: list[tuple[int, int]] = []
    with page_progress(lambda done, total: progress.append((done, total))):
        first = ingest_pjm(zones=["AE", "DPL"], base_url=pjm.base_url, **BIG)
    # The CLI's progress hook: one call per page, ending at pages done == pages expected.
    assert len(progress) == 10 and progress[0] == (1, 5) and progress[-1] == (10, 10)
    assert (first.totals["chunks"], first.count("loaded"), first.count("quarantined")) == (4, 4, 0)
    # 100 rows a page: AE 144/145 rows a chunk -> 2 pages; DPL 2 load areas -> 3 pages.
    assert (first.totals["pages"], first.totals["requests"], first.rows_read) == (10, 10, HOURS * 3)
    once = snapshot(warehouse())
    assert len(once) == 2 * HOURS
    by_key = {(r[0], str(r[1])[:16]): r for r in once}
    dpl = next(i for i in pjm.items if i["load_area"] == "DPLCO")
    easton = next(i for i in pjm.items if i["load_area"] == "EASTON")
    assert by_key[("DPL", "2023-10-29 04:00")][4] == pytest.approx(dpl["mw"] + easton["mw"])
    fall_back = [r for r in once if r[0] == "AE" and str(r[2]).startswith("2023-11-05 01:00")]
    assert [r[3] for r in fall_back] == [True, False]
    assert all(r[5] for r in once)
    end = datetime(2023, 11, 10, 5, tzinfo=UTC)  # 2023-11-10 00:00 EST
    assert watermark(warehouse(), "AE") == watermark(warehouse(), "DPL") == end

    # Same parameters again: resume from the watermark minus 7 days; the upsert changes nothing.
    pjm.requests.clear()
    again = ingest_pjm(zones=["AE", "DPL"], base_url=pjm.base_url, **BIG)
    assert (again.totals["chunks"], again.count("loaded"), again.rows_read) == (4, 4, 3 * (7 * 24 + 1))  # the look-back holds the fall-back hour
    assert pjm.requests[0].query["datetime_beginning_ept"] == "11/03/2023 00:00to11/08/2023 23:59"
    assert snapshot(warehouse()) == once
    # A third time the chunks and their content are identical: the ledger knows them, nothing is written.
    third = ingest_pjm(zones=["AE", "DPL"], base_url=pjm.base_url, **BIG)
    assert (third.count("skipped"), third.rows_written) == (4, 0)
    assert snapshot(warehouse()) == once

    # A preliminary re-send with other values never overwrites verified rows.
    pjm.items = hourly_load_items(ZONES, "2023-10-29T04:00:00", HOURS, verified=False, bump=123.0)
    resend = ingest_pjm(zones=["AE", "DPL"], base_url=pjm.base_url, **BIG)
    assert resend.count("loaded") == 4 and resend.rows_written == 0 and resend.totals["rows_kept"] == 2 * (7 * 24 + 1)
    assert snapshot(warehouse()) == once

    # New hours arrive preliminary, then verified with revised values: verified replaces them.
    later = {**BIG, "end": "2023-11-11"}
    pjm.items = hourly_load_items(ZONES, "2023-10-29T04:00:00", HOURS + 24, verified=False, bump=50.0)
    ingest_pjm(zones=["AE"], base_url=pjm.base_url, **later)
    rows = {str(r[1])[:16]: r for r in snapshot(warehouse()) if r[0] == "AE"}
    assert rows["2023-11-10 05:00"][5] is False or rows["2023-11-10 05:00"][5] == 0
    assert rows["2023-11-09 05:00"][4] == by_key[("AE", "2023-11-09 05:00")][4]  # verified kept
    pjm.items = hourly_load_items(ZONES, "2023-10-29T04:00:00", HOURS + 24, verified=True, bump=7.0)
    ingest_pjm(zones=["AE"], base_url=pjm.base_url, **later)
    rows = {str(r[1])[:16]: r for r in snapshot(warehouse()) if r[0] == "AE"}
    assert bool(rows["2023-11-10 05:00"][5]) is True
    assert rows["2023-11-10 05:00"][4] == pytest.approx(by_key[("AE", "2023-10-29 04:00")][4] + 7.0 + 0.0, abs=60)
    assert rows["2023-11-09 05:00"][4] == pytest.approx(by_key[("AE", "2023-11-09 05:00")][4] + 7.0)
    assert watermark(warehouse(), "AE") == datetime(2023, 11, 11, 5, tzinfo=UTC)


def test_failure_at_chunk_3_then_rerun_equals_a_clean_run(warehouse_url, pjm):
    from flows.ingest_pjm import ingest_pjm
    from tasks.common import warehouse

    run = {**RUN, "zones": ["AE"], "base_url": pjm.base_url}
    ingest_pjm(**run)
    clean = snapshot(warehouse())
    with warehouse().begin() as conn:
        for table in ("load_observation", "ingest_watermark", "ingest_ledger"):
            conn.execute(sa.text(f"DELETE FROM {table}"))

    # Chunk 3 of AE (from 11/06) fails with 500 on every attempt.
    pjm.fault = lambda req: (Reply(500, "upstream error")
                             if req.query.get("datetime_beginning_ept", "").startswith("11/06/2023") else None)
    with pytest.raises(PJMUnavailableError, match="500"):
        ingest_pjm(**run)
    assert statuses(warehouse()) == ["loaded", "loaded", "failed"]
    assert watermark(warehouse(), "AE") == datetime(2023, 11, 6, 5, tzinfo=UTC)
    partial = snapshot(warehouse())
    assert len(partial) == 8 * 24 + 1 and partial == clean[: len(partial)]

    pjm.fault = None
    pjm.requests.clear()
    healed = ingest_pjm(**run)
    # The re-run resumes at the watermark minus 7 days, not at `start`.
    assert pjm.requests[0].query["datetime_beginning_ept"].startswith("10/30/2023 00:00")
    assert healed.count("quarantined") == 0
    assert snapshot(warehouse()) == clean


def test_bad_chunk_is_quarantined_and_holds_the_watermark(warehouse_url, pjm):
    from flows.ingest_pjm import ingest_pjm
    from gridflow.errors import ValidationFailed
    from tasks.common import warehouse

    # A 0 MW reading (metering fault) in chunk 2 fails the pjm_load suite's range check.
    for item in pjm.items:
        if item["zone"] == "AE" and item["datetime_beginning_utc"] == "2023-11-03T12:00:00":
            item["mw"] = 0.0
    with pytest.raises(ValidationFailed, match="expect_column_values_to_be_between"):
        ingest_pjm(**{**RUN, "zones": ["AE"], "base_url": pjm.base_url})
    assert statuses(warehouse()) == ["loaded", "quarantined"]
    assert watermark(warehouse(), "AE") == datetime(2023, 11, 2, 4, tzinfo=UTC)
    with warehouse().connect() as conn:
        details = conn.execute(sa.text("SELECT details FROM ingest_ledger WHERE status = 'quarantined'")).scalar_one()
    assert "load_mw" in str(details)


def test_key_from_a_prefect_secret_block(gridflow_env, monkeypatch):
    from prefect.blocks.system import Secret

    from gridflow.errors import ConfigError
    from gridflow.ingest.pjm_access import resolve_pjm_api_key

    monkeypatch.delenv("PJM_API_KEY", raising=False)
    with pytest.raises(ConfigError, match="set PJM_API_KEY or create the Prefect Secret block 'pjm-api-key'"):
        resolve_pjm_api_key()
    Secret(value="from-block").save("pjm-api-key", overwrite=True)
    try:
        assert resolve_pjm_api_key() == "from-block"
        monkeypatch.setenv("PJM_API_KEY", "from-env")
        assert resolve_pjm_api_key() == "from-env"
    finally:
        Secret.delete("pjm-api-key")


def test_prefect_rate_limit_is_created_with_a_strict_6_per_minute(gridflow_env):
    from prefect.client.orchestration import get_client

    from tasks.ingest_pjm_api import ensure_pjm_rate_limit

    name = f"pjm-api-test-{uuid.uuid4().hex[:8]}"
    assert ensure_pjm_rate_limit.fn(create=False, name=name) is False
    assert ensure_pjm_rate_limit.fn(create=True, name=name) is True
    with get_client(sync_client=True) as client:
        limit = client.read_global_concurrency_limit_by_name(name)
        assert (limit.limit, limit.slot_decay_per_second) == (1, 0.1)
        client.delete_global_concurrency_limit_by_name(name)


def test_cli_backfill_shows_progress_and_loads(warehouse_url, pjm):
    from typer.testing import CliRunner

    from gridflow_cli.main import app

    result = CliRunner().invoke(app, [
        "ingest", "pjm", "--zone", "AE", "--zone", "DPL", "--start", "2023-10-29", "--end", "2023-11-04",
        "--base-url", pjm.base_url, "--requests-per-minute", "6000",
    ])
    assert result.exit_code == 0, result.output
    assert "PJM pages" in result.output
    assert re.search(r"rows written: [1-9]\d*", result.output), result.output
