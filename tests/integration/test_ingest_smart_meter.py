"""The smart-meter drop-folder flow on a real Prefect server, on SQLite and PostgreSQL."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

pytestmark = pytest.mark.integration

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "meters"


def snapshot(engine) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(
            "SELECT meter_id, channel, interval_start_utc, interval_minutes, is_dst, kwh, is_estimated "
            "FROM meter_interval ORDER BY meter_id, channel, interval_start_utc")).all()]


def ledger_rows(engine) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(
            "SELECT locator, status, reason FROM ingest_ledger ORDER BY id")).all()]


def test_drop_folder_loads_good_skips_renamed_quarantines_bad(warehouse_url, tmp_path):
    from flows.ingest_smart_meter import ingest_smart_meter
    from tasks.common import warehouse

    drop = tmp_path / "drop"
    drop.mkdir()
    shutil.copy(FIX / "smt_interval_15min_IntervalData_dst_days_excerpt_esiid_masked.csv", drop / "a_smt.csv")
    shutil.copy(FIX / "greenbutton_csv_sce_net_metering_SCE-NEMFILE.sample.csv", drop / "b_sce.csv")
    (drop / "c_bad.csv").write_bytes((drop / "a_smt.csv").read_bytes().replace(b",.044,", b",-.044,", 1))
    shutil.copy(drop / "a_smt.csv", drop / "d_renamed_copy.csv")

    report = ingest_smart_meter(str(drop))
    assert [f.status for f in report.outcomes] == ["loaded", "loaded", "quarantined", "skipped"]
    assert (report.count("loaded"), report.count("skipped"), report.count("quarantined")) == (2, 1, 1)
    assert report.rows_written == 30 + 3264
    assert not (drop / "c_bad.csv").exists()  # moved aside, so the next scan does not see it
    bad = [r for r in ledger_rows(warehouse()) if r[1] == "quarantined"]
    assert len(bad) == 1 and "negative USAGE_KWH" in bad[0][2]
    assert len(snapshot(warehouse())) == 30 + 3264

    again = ingest_smart_meter(str(drop))  # nothing new: everything left is skipped
    assert [f.status for f in again.outcomes] == ["skipped", "skipped", "skipped"]
    assert len(snapshot(warehouse())) == 30 + 3264


def test_failure_after_two_files_then_rerun_equals_clean_run(warehouse_url, tmp_path, monkeypatch):
    from benchmarks.meter_ingest import write_smt_files
    from flows.ingest_smart_meter import ingest_smart_meter
    from gridflow.ingest import meters as ingest_meters
    from gridflow.warehouse.engine import make_engine, upgrade
    from tasks.common import warehouse

    drop = tmp_path / "drop"
    paths = write_smt_files(drop, 4 * 3000, rows_per_file=3000)
    assert len(paths) == 4

    real_write, calls = ingest_meters.write_meter_intervals, []

    def crash_on_third(conn, frame, ingest_id):
        calls.append(ingest_id)
        written = real_write(conn, frame, ingest_id)
        if len(calls) == 3:  # rows written, transaction not yet committed: the process "dies"
            raise RuntimeError("simulated crash while loading file 3")
        return written

    monkeypatch.setattr(ingest_meters, "write_meter_intervals", crash_on_third)
    with pytest.raises(RuntimeError, match="simulated crash"):
        ingest_smart_meter(str(drop))
    assert len(snapshot(warehouse())) == 2 * 3000  # files 1 and 2 committed, file 3 rolled back
    monkeypatch.setattr(ingest_meters, "write_meter_intervals", real_write)

    rerun = ingest_smart_meter(str(drop))
    assert [f.status for f in rerun.outcomes] == ["skipped", "skipped", "loaded", "loaded"]
    statuses = [r[1] for r in ledger_rows(warehouse())]
    assert statuses.count("loaded") == 4 and statuses.count("failed") == 1

    clean = make_engine(f"sqlite:///{tmp_path / 'clean.db'}")
    upgrade(clean)
    from gridflow.sources.meters import parse_meter_file
    from gridflow.warehouse.meters import write_meter_intervals
    for path in paths:
        with clean.begin() as conn:
            write_meter_intervals(conn, parse_meter_file(path).frame, None)
    got, want = snapshot(warehouse()), snapshot(clean)
    assert len(got) == len(want) == 4 * 3000
    assert [_normal(r) for r in got] == [_normal(r) for r in want]


def _normal(row: tuple) -> tuple:
    # SQLite hands back text, PostgreSQL aware datetimes: compare the instants themselves.
    ts = pd.Timestamp(row[2])
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    return (row[0], row[1], ts, row[3], bool(row[4]), row[5], bool(row[6]))


def test_a_file_failing_validation_among_good_ones_is_the_only_one_quarantined(warehouse_url, tmp_path):
    from benchmarks.meter_ingest import write_smt_files
    from gridflow.ingest.meters import ingest_files
    from tasks.common import warehouse

    paths = write_smt_files(tmp_path / "drop", 4 * 2000, rows_per_file=2000)
    # Readings dated 2099: every row parses, the suite rejects the file (intervals in the future).
    paths[1].write_bytes(paths[1].read_bytes().replace(b"/2022", b"/2099"))
    summaries = ingest_files(warehouse(), [str(p) for p in paths])
    assert [s.status for s in summaries] == ["loaded", "quarantined", "loaded", "loaded"]
    assert "expect_column_max_to_be_between on hours_ahead_of_validation" in summaries[1].reason
    assert len(snapshot(warehouse())) == 3 * 2000
    assert not paths[1].exists()


def test_a_file_gone_before_its_turn_stops_the_run_there(warehouse_url, tmp_path):
    from benchmarks.meter_ingest import write_smt_files
    from gridflow.errors import ParseError
    from gridflow.ingest.meters import ingest_files
    from tasks.common import warehouse

    paths = [str(p) for p in write_smt_files(tmp_path / "drop", 2 * 1000, rows_per_file=1000)]
    with pytest.raises(ParseError, match="no such file"):
        ingest_files(warehouse(), [paths[0], str(tmp_path / "drop" / "vanished.csv"), paths[1]])
    # As one file after the other: the first is loaded, nothing after the missing one is touched.
    assert len(snapshot(warehouse())) == 1000
    assert [r[1] for r in ledger_rows(warehouse())] == ["loaded"]
