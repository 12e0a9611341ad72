"""A task retried after it had moved files: the smart-meter group of the issue. The first attempt
quarantines (moves) a bad file, then the next file's write fails with a transient error; Prefect's
retry passes the same group again. The retry must not fail on the moved file, and must end where a
clean run ends: the same rows, the same files in the drop folder and in quarantine."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

from gridflow.errors import ParseError
from gridflow.ingest import files, meters
from gridflow.transient import is_transient
from gridflow.warehouse.tables import meter_interval

FIX = Path(__file__).resolve().parents[2] / "fixtures" / "meters"


def drop_folder(drop: Path) -> list[str]:
    """Good, bad (a negative reading: the suite quarantines it), good, good; in name order."""
    smt = FIX / "smt_interval_15min_IntervalData_dst_days_excerpt_esiid_masked.csv"
    shutil.copy(smt, drop / "a_smt.csv")
    (drop / "b_bad.csv").write_bytes(smt.read_bytes().replace(b",.044,", b",-.044,", 1))
    shutil.copy(FIX / "greenbutton_csv_sce_net_metering_SCE-NEMFILE.sample.csv", drop / "c_sce.csv")
    shutil.copy(FIX / "greenbutton_csv_pge_electric_interval_data_hourly_2018-10-04_to_2019-02-11_preamble_redacted.csv",
                drop / "d_pge.csv")
    return meters.scan_drop_folder(str(drop))


def rows(engine: sa.Engine) -> list[tuple]:
    columns = [c for c in meter_interval.c if c.name not in ("ingest_id", "updated_at")]
    with engine.connect() as conn:
        found = conn.execute(sa.select(*columns)).all()
    return sorted(_normal(tuple(r)) for r in found)


def _normal(row: tuple) -> tuple:
    # SQLite hands back text, PostgreSQL aware datetimes: compare instants and plain values.
    out = []
    for value in row:
        if hasattr(value, "isoformat") or (isinstance(value, str) and value[:2] in ("19", "20") and ":" in value):
            ts = pd.Timestamp(value)
            value = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
        out.append(value)
    return tuple(out)


def placement(home) -> dict[str, bytes]:
    """Every file left in the drop folder and in quarantine, by place and name, with its bytes."""
    found = {f"drop/{p.name}": p.read_bytes() for p in home.drop.iterdir()}
    folder = home.home / "quarantine"
    if folder.exists():
        found |= {f"quarantine/{p.relative_to(folder)}": p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    return found


def test_a_retried_group_does_not_fail_on_the_file_its_first_attempt_moved(new_home, monkeypatch):
    home = new_home("retried")
    paths = drop_folder(home.drop)
    real_write, calls = meters.write_meter_intervals, []

    def locked_once(conn, frame, ingest_id):
        calls.append(ingest_id)
        if len(calls) == 2:  # c_sce.csv, after b_bad.csv was moved to quarantine
            raise OperationalError("INSERT INTO meter_interval ...", {}, sqlite3.OperationalError("database is locked"))
        return real_write(conn, frame, ingest_id)

    monkeypatch.setattr(meters, "write_meter_intervals", locked_once)
    with pytest.raises(OperationalError) as failed:
        meters.ingest_files(home.engine, paths)
    assert is_transient(failed.value)  # what makes Prefect's retry condition run the group again
    assert not Path(paths[1]).exists()
    first_quarantine = next(r for r in ledger(home.engine) if r.status == "quarantined")

    retry = meters.ingest_files(home.engine, paths)  # the same group, as the task's retry gets it
    assert [o.status for o in retry] == ["skipped", "quarantined", "loaded", "loaded"]
    assert retry[1].ledger_id == first_quarantine.id  # the first attempt's quarantine, not a new one
    assert "negative" in retry[1].reason and "by an earlier attempt" in retry[1].reason
    assert [r.status for r in ledger(home.engine)] == ["loaded", "quarantined", "failed", "skipped", "loaded", "loaded"]

    retried_rows, retried_files = rows(home.engine), placement(home)
    clean = new_home("clean", "sqlite")
    outcomes = meters.ingest_files(clean.engine, drop_folder(clean.drop))
    assert [o.status for o in outcomes] == ["loaded", "quarantined", "loaded", "loaded"]
    assert retried_rows == rows(clean.engine) and len(retried_rows) == sum(o.rows_written for o in outcomes)
    assert retried_files == placement(clean)
    assert sorted(name for name in retried_files if name.startswith("quarantine/")) == [
        f"quarantine/meter_interval/{Path(first_quarantine.details['kept_at']).name}"]


def test_a_file_that_was_never_moved_is_still_missing(new_home):
    home = new_home("missing")
    paths = drop_folder(home.drop)
    Path(paths[2]).unlink()  # gone before its turn, and not by gridflow
    with pytest.raises(ParseError, match="no such file"):
        meters.ingest_files(home.engine, paths)
    assert files.already_moved(home.engine, meters.DATASET, paths[2]) is None
    assert [r.status for r in ledger(home.engine)] == ["loaded", "quarantined"]


def ledger(engine: sa.Engine) -> list:
    from gridflow.warehouse.tables import ingest_ledger

    with engine.connect() as conn:
        return conn.execute(sa.select(ingest_ledger).order_by(ingest_ledger.c.id)).all()
