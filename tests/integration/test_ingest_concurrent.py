"""Two writers on the embedded SQLite warehouse: two smart-meter folders and a PJM API ingest started
at once, as three real `gridflow` commands on one GRIDFLOW_HOME and the real Prefect server, end
exactly where the same three commands end one after the other in a fresh home: the same rows, the same
ledger, the same watermarks, the same files in the drop folders and in quarantine.

To be sure the three really write at the same time, the test holds the warehouse's write lock until
all three runs are Running, so each one's first write waits on the lock (and on the others)."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from gridflow.replay import ReplayServer
from gridflow.replay.pjm_dataminer import FakeDataMiner, hourly_load_items
from gridflow.warehouse.engine import SQLITE_BEGIN, make_engine, upgrade
from gridflow.warehouse.tables import ingest_ledger, ingest_watermark, load_observation, meter_interval

pytestmark = pytest.mark.integration

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "meters"
KEY = "concurrent-key-7d2e"
ZONES = {"AE": {"AECO": 800.0}, "DPL": {"DPLCO": 1600.0, "EASTON": 20.0}}
HOURS = 289  # 2023-10-29 00:00 EDT .. 2023-11-10 00:00 EST
GENEROUS = 600  # seconds; only a hang reaches it
VOLATILE = {"ingest_id", "updated_at"}


@pytest.fixture
def pjm():
    fake = FakeDataMiner("hrl_load_metered", hourly_load_items(ZONES, "2023-10-29T04:00:00", HOURS), KEY)
    with ReplayServer() as server:
        server.add_handler("/api/v1/hrl_load_metered", fake)
        fake.base_url = f"{server.base_url}/api/v1"
        yield fake


def inputs(folder: Path) -> Path:
    """Two drop folders of different meters, each with one file the suite rejects (moved to quarantine)."""
    from benchmarks.meter_ingest import write_smt_files

    bad = (FIX / "smt_interval_15min_IntervalData_dst_days_excerpt_esiid_masked.csv").read_bytes()
    for number, name in enumerate(["drop_a", "drop_b"], start=1):
        for path in write_smt_files(folder / name, 4 * 3000, seed=number, rows_per_file=3000):
            path.write_bytes(path.read_bytes().replace(b"'1044372", f"'{number}044372".encode()))
        # A negative reading (a different one in each folder): the suite quarantines the file.
        (folder / name / "IntervalData_bad.csv").write_bytes(bad.replace(b",.044,", b",-.044,", number))
    return folder


def commands(root: Path, pjm: FakeDataMiner) -> list[list[str]]:
    return [
        ["ingest", "meters", "--folder", str(root / "drop_a")],
        ["ingest", "meters", "--folder", str(root / "drop_b")],
        ["ingest", "pjm", "--zone", "AE", "--zone", "DPL", "--start", "2023-10-29", "--end", "2023-11-10",
         "--base-url", pjm.base_url, "--requests-per-minute", "6000"],
    ]


def environment(gridflow_env: dict[str, str], root: Path) -> dict[str, str]:
    env = {**os.environ, **gridflow_env, "GRIDFLOW_HOME": str(root / "home"), "PJM_API_KEY": KEY}
    env.pop("GRIDFLOW_WAREHOUSE_URL", None)  # the home's own SQLite warehouse
    return env


def start(args: list[str], env: dict[str, str], root: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "gridflow_cli", *args], env=env, cwd=root, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def finish(process: subprocess.Popen) -> str:
    output, _ = process.communicate(timeout=GENEROUS)
    assert process.returncode == 0, output
    assert "database is locked" not in output, output
    return output


def running_runs(root: Path, pjm: FakeDataMiner) -> int:
    """How many of this mode's three flow runs the Prefect API has Running."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterState, FlowRunFilterStateType
    from prefect.client.schemas.objects import StateType

    mine = {str(root / "drop_a"), str(root / "drop_b"), pjm.base_url}
    running = FlowRunFilter(state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.RUNNING])))
    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(flow_run_filter=running)
    return sum(1 for run in runs if {str(v) for v in run.parameters.values()} & mine)


def run_together(root: Path, env: dict[str, str], pjm: FakeDataMiner) -> list[str]:
    url = f"sqlite:///{root / 'home' / 'warehouse.db'}"
    upgrade(url)
    holder = make_engine(url)
    processes: list[subprocess.Popen] = []
    try:
        with holder.connect().execution_options(**{SQLITE_BEGIN: "IMMEDIATE"}) as conn, conn.begin():
            processes = [start(args, env, root) for args in commands(root, pjm)]
            deadline = time.monotonic() + GENEROUS
            while running_runs(root, pjm) < len(processes):
                ended = [p.args for p in processes if p.poll() is not None]
                assert not ended, f"ended before the lock was let go: {ended}"
                assert time.monotonic() < deadline, "the three runs never ran at the same time"
                time.sleep(1)
        # The lock is let go: the three runs, each waiting at its first write, now take turns.
        return [finish(p) for p in processes]
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
        holder.dispose()


def run_one_after_the_other(root: Path, env: dict[str, str], pjm: FakeDataMiner) -> list[str]:
    return [finish(start(args, env, root)) for args in commands(root, pjm)]


def warehouse_state(root: Path) -> dict[str, list[tuple]]:
    """Row sets of what the ingests wrote; ids, clocks and absolute paths left out."""
    engine = make_engine(f"sqlite:///{root / 'home' / 'warehouse.db'}")
    try:
        with engine.connect() as conn:
            state = {table.name: sorted(conn.execute(sa.select(*[c for c in table.c if c.name not in VOLATILE])).all())
                     for table in (meter_interval, load_observation)}
            w = ingest_watermark.c
            state["ingest_watermark"] = sorted(conn.execute(sa.select(w.source, w.stream, w.watermark_utc)).all())
            t = ingest_ledger.c
            state["ingest_ledger"] = sorted(
                (r.source, r.dataset, r.locator.replace(str(root), "<root>"), r.content_sha256, r.status,
                 r.rows_read, r.rows_written)
                for r in conn.execute(sa.select(t.source, t.dataset, t.locator, t.content_sha256, t.status,
                                                t.rows_read, t.rows_written)))
    finally:
        engine.dispose()
    return state


def placement(root: Path) -> dict[str, str]:
    """Every file in the drop folders and in quarantine, by path under the mode's folder, with its digest."""
    places = [root / "drop_a", root / "drop_b", root / "home" / "quarantine"]
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for place in places if place.exists() for p in sorted(place.rglob("*")) if p.is_file()}


def test_two_meter_folders_and_a_pjm_ingest_at_once_equal_them_one_after_the_other(gridflow_env, tmp_path, pjm):
    source = inputs(tmp_path / "inputs")
    together, sequential = tmp_path / "together", tmp_path / "sequential"
    for root in (together, sequential):
        shutil.copytree(source, root)

    outputs = run_together(together, environment(gridflow_env, together), pjm)
    run_one_after_the_other(sequential, environment(gridflow_env, sequential), pjm)

    for output in outputs[:2]:
        assert "5 files: 4 loaded, 0 skipped, 1 quarantined" in output, output
    got, want = warehouse_state(together), warehouse_state(sequential)
    assert len(got["meter_interval"]) == 2 * 4 * 3000
    assert {r[0] for r in got["ingest_watermark"]} == {"pjm_api"} and len(got["load_observation"]) > 0
    assert [r[4] for r in got["ingest_ledger"]].count("quarantined") == 2
    assert got == want
    files = placement(together)
    assert sorted(name for name in files if name.startswith("home/quarantine/")) == sorted(
        name for name in placement(sequential) if name.startswith("home/quarantine/"))
    assert len([name for name in files if name.startswith("home/quarantine/")]) == 2
    assert not any(name.endswith("IntervalData_bad.csv") and name.startswith("drop") for name in files)
    assert files == placement(sequential)


def test_prefect_retry_of_a_group_whose_first_attempt_moved_a_file(warehouse_url, tmp_path, monkeypatch):
    """The issue's failure on the real Prefect server, on SQLite and PostgreSQL: the group's first
    attempt quarantines (moves) a file, then a write fails with "database is locked"; the task's
    retry runs the group again and the run completes, each file counted once."""
    import sqlite3

    from sqlalchemy.exc import OperationalError

    from flows.ingest_smart_meter import ingest_smart_meter
    from gridflow.ingest import meters as ingest_meters
    from tasks.common import warehouse

    drop = tmp_path / "drop"
    smt = FIX / "smt_interval_15min_IntervalData_dst_days_excerpt_esiid_masked.csv"
    drop.mkdir()
    shutil.copy(smt, drop / "a_smt.csv")
    (drop / "b_bad.csv").write_bytes(smt.read_bytes().replace(b",.044,", b",-.044,", 1))
    shutil.copy(FIX / "greenbutton_csv_sce_net_metering_SCE-NEMFILE.sample.csv", drop / "c_sce.csv")
    real_write, calls = ingest_meters.write_meter_intervals, []

    def locked_once(conn, frame, ingest_id):
        calls.append(ingest_id)
        if len(calls) == 2:  # c_sce.csv, after b_bad.csv was moved to quarantine
            raise OperationalError("INSERT INTO meter_interval ...", {}, sqlite3.OperationalError("database is locked"))
        return real_write(conn, frame, ingest_id)

    monkeypatch.setattr(ingest_meters, "write_meter_intervals", locked_once)
    report = ingest_smart_meter(str(drop))

    assert len(calls) == 3  # c_sce.csv written once more, by the retry
    assert [o.status for o in report.outcomes] == ["skipped", "quarantined", "loaded"]
    assert "by an earlier attempt" in report.outcomes[1].reason
    assert sorted(p.name for p in drop.iterdir()) == ["a_smt.csv", "c_sce.csv"]
    with warehouse().connect() as conn:
        statuses = [r[0] for r in conn.execute(sa.select(ingest_ledger.c.status).order_by(ingest_ledger.c.id))]
        assert conn.execute(sa.select(sa.func.count()).select_from(meter_interval)).scalar_one() == 30 + 3264
    assert statuses == ["loaded", "quarantined", "failed", "skipped", "loaded"]
