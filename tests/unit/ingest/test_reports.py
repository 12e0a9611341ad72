"""Every source's run report prints the same CLI line the command printed before the contract."""

from __future__ import annotations

from datetime import datetime

from gridflow.ingest.contract import Outcome
from gridflow.ingest.ercot import Listing, document_outcome, ercot_report
from gridflow.ingest.files import file_report
from gridflow.ingest.meters import meter_report
from gridflow.ingest.pjm_api import ChunkPlan, chunk_outcome, not_run, pjm_report
from gridflow.sources.ercot.listing import document_from_name


def test_pjm_api_line_lists_its_counters_in_order():
    plan = ChunkPlan("hrl_load_metered", "AE", "hrl_load_metered/AE", "2023-11-05T00:00:00", "2023-11-06T00:00:00",
                     1, 2)
    outcomes = [chunk_outcome(plan, "loaded", rows_read=14, rows_written=7, pages=1, requests=1, rows_kept=2),
                not_run(plan, "an earlier chunk of this stream was quarantined")]
    report = pjm_report("hrl_load_metered", outcomes)
    assert report.describe() == ("feed: hrl_load_metered, chunks: 2, loaded: 1, skipped: 0, quarantined: 0, "
                                 "not run: 1, pages: 1, requests: 1, rows read: 14, rows written: 7, rows kept: 2")
    assert [row["status"] for row in report.table_rows()] == ["loaded", "not-run"]


def test_ercot_line_tallies_documents():
    doc = document_from_name("500", "cdr.00013101.0000000000000000.20231115.055000000.ACTUALSYSLOADWZNP6345_csv.zip")
    outcomes = [document_outcome(doc, "loaded", rows_read=216, rows_written=216)]
    report = ercot_report(Listing("actual_load_wz", 8, 4, 3, [doc]), outcomes)
    assert report.describe() == ("report: actual_load_wz, listed: 4, already seen: 3, loaded: 1, skipped: 0, "
                                 "quarantined: 0, failed: 0, rows written: 216")


def test_file_and_drop_folder_lines():
    loaded = Outcome("/in/a.csv", "loaded", 10, 10, 1, "validated and loaded")
    single = file_report("pjm_load", loaded)
    assert single.describe() == "loaded: 10 rows written (validated and loaded)"
    assert (single.status, single.rows_read, single.reason) == ("loaded", 10, "validated and loaded")
    folder = meter_report("/drop", [loaded, Outcome("/in/b.csv", "quarantined", 3, 0, 2, "bad")])
    assert folder.describe() == "2 files: 1 loaded, 0 skipped, 1 quarantined; 10 rows written"
    assert folder.table_rows()[-1]["file"] == "TOTAL: 2 seen"


def test_single_outcome_datetime_fact_renders_in_artifact():
    doc = document_from_name("501", "cdr.00013101.0000000000000000.20231116.055000000.ACTUALSYSLOADWZNP6345_csv.zip")
    row = ercot_report(Listing("actual_load_wz", 1, 1, 0, [doc]),
                       [document_outcome(doc, "skipped", reason="already ingested")]).table_rows()[0]
    assert row["published (UTC)"] == f"{doc.published_at_utc:%Y-%m-%d %H:%M:%S}"
    assert isinstance(doc.published_at_utc, datetime)
