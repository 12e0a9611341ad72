"""The `ingest-pjm` flow loads the shipped year of real PJM-RTO day-ahead LMPs (2025) from the PJM
stand-in serving the Data Miner 2 CSV export as API pages, into SQLite; re-runs add nothing, and
the same export ingested as a file (`ingest-pjm-prices`) gives exactly the same rows."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from gridflow.replay import ReplayServer
from gridflow.replay.offline_sources import PJM_DA_CHUNK_DAYS, PJM_DA_END, PJM_DA_START
from gridflow.replay.pjm_dataminer import SHIPPED_DA_LMPS, da_lmps_from_export
from gridflow.warehouse.watermarks import get_watermark

pytestmark = pytest.mark.integration

KEY = "it-key-da-2025"
ROWS = 8737  # 2025-01-01 00:00 .. 2025-12-31 00:00 EPT, hourly
# 1,000 rows a page makes the client follow `next` links: 9 pages for the year.
RUN = {"feed": "da_hrl_lmps", "start": PJM_DA_START, "end": PJM_DA_END, "chunk_days": PJM_DA_CHUNK_DAYS,
       "row_count": 1000, "requests_per_minute": 0, "backoff_seconds": 0.01, "max_attempts": 2}


@pytest.fixture
def pjm(gridflow_env, monkeypatch):
    """The shipped export behind a replayed Data Miner 2 on the SQLite warehouse of `gridflow_env`."""
    monkeypatch.setenv("PJM_API_KEY", KEY)
    fake = da_lmps_from_export(KEY)
    with ReplayServer() as server:
        server.add_handler("/api/v1/da_hrl_lmps", fake)
        fake.base_url = f"{server.base_url}/api/v1"
        yield fake


def prices(engine) -> list[tuple]:
    with engine.connect() as conn:
        return conn.execute(sa.text(
            "SELECT market, node, interval_start_utc, interval_start_local, is_dst, price_usd_per_mwh "
            "FROM market_price ORDER BY market, node, interval_start_utc")).all()


def test_full_year_lands_once(pjm):
    from typer.testing import CliRunner

    from flows.ingest_pjm import ingest_pjm
    from gridflow_cli.main import app
    from tasks.common import warehouse

    first = ingest_pjm(base_url=pjm.base_url, **RUN)
    assert (first.totals["chunks"], first.count("loaded"), first.totals["pages"]) == (1, 1, 9)
    assert first.rows_read == first.rows_written == ROWS
    once = prices(warehouse())
    assert len(once) == ROWS and {(r[0], r[1]) for r in once} == {("PJM_DA", "1")}
    assert once[0][5] == pytest.approx(21.024537)  # the file's first row, 2025-01-01 00:00 EPT
    local = [str(r[3])[:16] for r in once]
    assert sum(t.startswith("2025-03-09") for t in local) == 23
    assert sum(t.startswith("2025-11-02") for t in local) == 25
    assert [bool(r[4]) for r in once if str(r[3]).startswith("2025-11-02 01:00")] == [True, False]
    with warehouse().connect() as conn:
        assert get_watermark(conn, "pjm_api", "da_hrl_lmps/ALL") == datetime(2025, 12, 31, 6, tzinfo=UTC)

    # Again, through the command line: resumes at the watermark minus the 7-day look-back (one
    # page from 2025-12-24 00:00 EPT) and rewrites identical rows.
    pjm.requests.clear()
    result = CliRunner().invoke(app, [
        "ingest", "pjm", "--feed", "da_hrl_lmps", "--start", PJM_DA_START, "--end", PJM_DA_END,
        "--base-url", pjm.base_url, "--requests-per-minute", "6000", "--chunk-days", str(PJM_DA_CHUNK_DAYS)])
    assert result.exit_code == 0, result.output
    assert re.search(r"rows read: 169\b", result.output) and "quarantined: 0" in result.output, result.output
    assert [r.query["datetime_beginning_ept"] for r in pjm.requests] == ["12/24/2025 00:00to12/31/2025 23:59"]
    assert prices(warehouse()) == once
    # A backfill of the whole year sends the first run's exact items: the ledger skips them.
    pjm.requests.clear()
    backfill = ingest_pjm(base_url=pjm.base_url, backfill=True, **RUN)
    assert (backfill.count("skipped"), backfill.rows_written) == (1, 0)
    assert len(pjm.requests) == 9
    assert prices(warehouse()) == once

    # The export itself, dropped as a file: loaded once (same rows), then skipped by its digest.
    command = ["ingest", "pjm", "--feed", "da_hrl_lmps", "--file", str(SHIPPED_DA_LMPS)]
    loaded = CliRunner().invoke(app, command)
    assert loaded.exit_code == 0 and loaded.output.startswith("loaded: 8737 rows written"), loaded.output
    assert prices(warehouse()) == once
    skipped = CliRunner().invoke(app, command)
    assert skipped.exit_code == 0 and skipped.output.startswith("skipped"), skipped.output
