"""Smart-meter ingestion (parse + validate + load) against a raw bulk load, measured in one run.

Synthetic Smart Meter Texas exports (one file per meter, a year of 15-minute consumption, both
DST days included) are written to a temp folder. The measured side runs what the flow's tasks run
(same task grouping; per file: fingerprint + ledger, detect, parse, validate, write with the
revision rule, ledger row in the same transaction), with the tasks' own overlap of preparing the
next files while the current one is written. The baseline reads the same files with pyarrow and
bulk-loads the raw rows, one transaction per file and nothing overlapped (PostgreSQL COPY, or
executemany on SQLite), into a table keyed like meter_interval; an unindexed load is measured too
and quoted beside it. Each timed phase starts after a CHECKPOINT, so none pays for the previous
one's dirty pages.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd

INTERVALS_PER_YEAR = 35_040
_HEADER = ("ESIID,USAGE_DATE,REVISION_DATE,USAGE_START_TIME,USAGE_END_TIME,USAGE_KWH,"
           "ESTIMATED_ACTUAL,CONSUMPTION_SURPLUSGENERATION\n")


def _day_template(year: int = 2022) -> list[tuple[str, bool]]:
    """(`date,revision,start,end,` prefix, blank) for one year in SMT's own DST layout."""
    out = []
    for day in pd.date_range(f"{year}-01-01", f"{year}-12-31", freq="D"):
        date = day.strftime("%m/%d/%Y")
        rev = (day + pd.Timedelta(days=1, hours=6)).strftime("%m/%d/%Y %H:%M:%S")
        slots = [(m, (m + 15) % 1440) for m in range(0, 1440, 15)]
        if day.month == 11 and day.weekday() == 6 and 1 <= day.day <= 7:
            # Fall back: the repeated hour after 01:45-02:00, first interval mislabelled like SMT.
            slots = [*slots[:8], (120, 75), (75, 90), (90, 105), (105, 120), *slots[8:]]
        spring = day.month == 3 and day.weekday() == 6 and 8 <= day.day <= 14
        for start, end in slots:
            blank = spring and 120 <= start < 180  # SMT lists the non-existent hour, blank
            out.append((f"{date},{rev},{start // 60:02d}:{start % 60:02d},{end // 60:02d}:{end % 60:02d},",
                        blank))
    return out


def write_smt_files(folder: Path, rows: int, seed: int = 0, rows_per_file: int | None = None) -> list[Path]:
    """SMT-format files holding `rows` data rows, one meter-year (or part of one) per file."""
    folder.mkdir(parents=True, exist_ok=True)
    template = _day_template()
    rng = np.random.default_rng(seed)
    pool = [f"{v:.3f}".lstrip("0") or "0" for v in rng.gamma(2.0, 0.15, 4096)]
    paths, left, meter = [], rows, 0
    while left > 0:
        take = min(left, rows_per_file or len(template), len(template))
        picks = rng.integers(0, len(pool), take)
        esiid = f"'1044372{meter:010d}"
        body = "".join(f"{esiid},{p},,Consumption\n" if blank else f"{esiid},{p}{pool[k]},A,Consumption\n"
                       for (p, blank), k in zip(template[:take], picks.tolist(), strict=True))
        path = folder / f"IntervalData_{meter:04d}.csv"
        path.write_text(_HEADER + body)
        paths.append(path)
        left -= take
        meter += 1
    return paths


def _postgres_url() -> str | None:
    import sqlalchemy as sa

    url = os.environ.get("GRIDFLOW_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    try:
        engine = sa.create_engine(url, connect_args={"connect_timeout": 3})
        with engine.connect():
            pass
        engine.dispose()
    except Exception:  # no server: fall back to SQLite and say so
        return None
    return url


def _measured(paths: list[Path]) -> int:
    """The flow's work without Prefect's bookkeeping: its task grouping, then per task the files'
    fingerprint + ledger, parse, validation and load (rows + ledger row in one transaction)."""
    from gridflow.ingest.meters import batches, ingest_files
    from gridflow.runtime import warehouse

    summaries = [s for group in batches([str(p) for p in paths]) for s in ingest_files(warehouse(), group)]
    if any(s.status != "loaded" for s in summaries):
        raise RuntimeError(f"benchmark files not loaded: {[s.reason for s in summaries if s.status != 'loaded'][:3]}")
    return sum(s.rows_written for s in summaries)


def _baseline(paths: list[Path], engine, keyed: bool) -> tuple[int, float]:
    """(rows, seconds) of a pyarrow CSV read of every file + a raw bulk load of its rows, one
    transaction per file.

    `keyed`: the table has a primary key shaped like meter_interval's (meter text, channel text,
    an 8-byte ordinal: the row's line number), since a keyed table is the destination either way;
    otherwise it has no index at all.
    """
    import io

    import pyarrow as pa
    import pyarrow.csv as pacsv
    import sqlalchemy as sa

    key = ", line bigint NOT NULL, PRIMARY KEY (esiid, channel, line)" if keyed else ""
    with engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE IF EXISTS raw_meter_baseline"))
        conn.execute(sa.text("CREATE TABLE raw_meter_baseline (esiid text, usage_date text, revision_date text, "
                             f"start_time text, end_time text, kwh double precision, flag text, channel text{key})"))
    _checkpoint(engine)
    total = 0
    started = time.perf_counter()
    for path in paths:
        table = pacsv.read_csv(path)
        if keyed:
            table = table.append_column("line", pa.array(np.arange(2, table.num_rows + 2)))
        with engine.begin() as conn:
            if engine.dialect.name == "postgresql":
                buf = io.BytesIO()
                pacsv.write_csv(table, buf, write_options=pacsv.WriteOptions(include_header=False))
                with conn.connection.driver_connection.cursor() as cur, cur.copy(
                        "COPY raw_meter_baseline FROM STDIN (FORMAT CSV)") as copy:
                    copy.write(buf.getvalue())
            else:
                rows = list(zip(*(table.column(i).to_pylist() for i in range(table.num_columns)), strict=True))
                marks = ",".join("?" * table.num_columns)
                conn.exec_driver_sql(f"INSERT INTO raw_meter_baseline VALUES ({marks})", rows)
        total += table.num_rows
    elapsed = time.perf_counter() - started
    with engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE raw_meter_baseline"))
    return total, elapsed


def _checkpoint(engine) -> None:
    # Each timed phase starts with no dirty pages left by the previous one to flush.
    if engine.dialect.name != "postgresql":
        return
    import sqlalchemy as sa

    with engine.connect() as conn:
        conn.execute(sa.text("CHECKPOINT"))


def run(workdir: Path, rows: int = 10_000_000) -> list[dict]:
    """Parse + validate + load `rows` synthetic SMT rows vs the raw baseline, in the same run."""
    from gridflow.config import reset_settings
    from gridflow.warehouse.engine import make_engine
    from tasks import common

    files = write_smt_files(workdir / "smt-drop", rows)
    pg = _postgres_url()
    url = pg or f"sqlite:///{workdir / 'meter-bench.db'}"
    if pg:
        import uuid

        import sqlalchemy as sa

        schema = f"bench_{uuid.uuid4().hex[:10]}"
        with sa.create_engine(pg).begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        url = sa.engine.make_url(pg).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
            hide_password=False)
    os.environ["GRIDFLOW_WAREHOUSE_URL"] = url
    reset_settings()
    common.warehouse.cache_clear()
    try:
        engine = common.warehouse()
        raw_engine = make_engine(url)
        _, unindexed_s = _baseline(files, raw_engine, keyed=False)
        loaded_raw, baseline_s = _baseline(files, raw_engine, keyed=True)
        from gridflow.validation import gx_adapter

        gx_adapter._import_gx()  # import cost (~4 s) is start-up, not per-row work
        _checkpoint(engine)
        started = time.perf_counter()
        loaded = _measured(files)
        measured_s = time.perf_counter() - started
    finally:
        if pg:
            with sa.create_engine(pg).begin() as conn:
                conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    dialect = "PostgreSQL" if pg else "SQLite"
    bulk = "COPY" if pg else "executemany"
    del engine
    return [{
        "benchmark": (f"meter ingest: parse + validate + load {loaded:,} SMT rows ({len(files)} files) into "
                      f"meter_interval on {dialect}, revision rule and ledger included (target: at most 1.43x "
                      "the baseline's time, i.e. 0.7x its throughput)"),
        "baseline": (f"pyarrow read + {bulk} of {loaded_raw:,} raw rows into a table keyed like meter_interval "
                     f"(meter, channel, 8-byte row ordinal), no other index, no parsing or validation; "
                     f"into an unindexed table: {unindexed_s:.1f} s"),
        "baseline_s": baseline_s,
        "measured_s": measured_s,
        "ratio": measured_s / baseline_s,
    }]


def main() -> None:
    """`python -m benchmarks.meter_ingest --rows N`: this benchmark alone, embedded stores."""
    import tempfile

    parser = argparse.ArgumentParser(prog="python -m benchmarks.meter_ingest")
    parser.add_argument("--rows", type=int, default=10_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="gridflow-meter-bench-") as tmp:
        os.environ["GRIDFLOW_HOME"] = str(Path(tmp) / "home")
        from benchmarks.__main__ import print_table

        print_table(run(Path(tmp), args.rows))


if __name__ == "__main__":
    main()
