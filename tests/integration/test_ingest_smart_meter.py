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


def test_text_readings_and_timestamp_layouts_through_the_flow(warehouse_url, tmp_path):
    """Text in a reading column quarantines the file naming line and value (not "row_count observed 0");
    a two-column export in MM/DD/YY HH:MM local time loads across the fall-back hour; a day-first one
    is quarantined naming the accepted layouts."""
    from flows.ingest_smart_meter import ingest_smart_meter
    from tasks.common import warehouse

    drop = tmp_path / "drop"
    drop.mkdir()
    smt = (FIX / "smt_interval_15min_IntervalData_dst_days_excerpt_esiid_masked.csv").read_bytes()
    lines = smt.split(b"\n")
    (drop / "a_smt_good.csv").write_bytes(smt)
    lines_na = list(lines)
    lines_na[3] = lines_na[3].replace(b",.144,", b",n/a,")
    (drop / "b_smt_na.csv").write_bytes(b"\n".join(lines_na))
    all_text = [lines[0], *(b",".join([*r.split(b",")[:5], b"N/A", *r.split(b",")[6:]]) for r in lines[1:] if r)]
    (drop / "c_smt_all_text.csv").write_bytes(b"\n".join(all_text) + b"\n")
    # Central wall clock, month first, two-digit year, unpadded: 00:00 CDT .. 01:45 CST on 11/03/2024.
    stamps = ["11/3/24 0:00", "11/3/24 0:30", "11/3/24 1:00", "11/3/24 1:30", "11/3/24 1:00", "11/3/24 1:30"]
    (drop / "d_simple_us.csv").write_text("timestamp,kWh\n" + "".join(f"{t},0.{i + 1}\n" for i, t in enumerate(stamps)))
    (drop / "e_simple_day_first.csv").write_text("timestamp,kWh\n03/11/2024 00:00,0.1\n13/11/2024 00:30,0.2\n")

    report = ingest_smart_meter(str(drop))
    status = {Path(o.item).name: (o.status, o.reason) for o in report.outcomes}
    assert {name: s for name, (s, _) in status.items()} == {
        "a_smt_good.csv": "loaded", "b_smt_na.csv": "quarantined", "c_smt_all_text.csv": "quarantined",
        "d_simple_us.csv": "loaded", "e_simple_day_first.csv": "quarantined"}
    assert "line 4: USAGE_KWH 'n/a' is not a number of kWh" in status["b_smt_na.csv"][1]
    assert "line 2, 3, 4, 5, 6 (and 29 more): USAGE_KWH 'N/A' is not a number" in status["c_smt_all_text.csv"][1]
    assert "row_count" not in status["c_smt_all_text.csv"][1]
    assert ("line 3: timestamp '13/11/2024 00:30' has month 13: day-first dates (DD/MM) are not accepted"
            in status["e_simple_day_first.csv"][1])
    assert "accepted layouts: ISO 8601" in status["e_simple_day_first.csv"][1]
    quarantined = {r[0]: r[2] for r in ledger_rows(warehouse()) if r[1] == "quarantined"}
    assert len(quarantined) == 3 and all("line " in reason for reason in quarantined.values())
    for name in ("b_smt_na.csv", "c_smt_all_text.csv", "e_simple_day_first.csv"):
        assert not (drop / name).exists()  # moved aside: the next scan does not see them

    with warehouse().connect() as conn:
        us = conn.execute(sa.text("SELECT interval_start_utc, is_dst, kwh FROM meter_interval "
                                  "WHERE meter_id = 'd_simple_us' ORDER BY interval_start_utc")).all()
    utc = [pd.Timestamp(r[0]).tz_localize(None) if pd.Timestamp(r[0]).tzinfo is None
           else pd.Timestamp(r[0]).tz_convert("UTC").tz_localize(None) for r in us]
    assert [str(t) for t in utc] == ["2024-11-03 05:00:00", "2024-11-03 05:30:00", "2024-11-03 06:00:00",
                                     "2024-11-03 06:30:00", "2024-11-03 07:00:00", "2024-11-03 07:30:00"]
    assert [bool(r[1]) for r in us] == [True, True, True, True, False, False]
    assert [r[2] for r in us] == [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]
