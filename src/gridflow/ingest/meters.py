"""Smart-meter drop folder ingestion: scan, then per file fingerprint -> parse -> validate -> load
(or quarantine), each file in its own transaction with its ledger row.

Within one call the files go through two stages at once. A background thread reads, fingerprints,
parses and validates the next files (pure work, no writes) while the calling thread loads the
current one; on PostgreSQL a load is mostly the server's own work, so the two overlap on two cores.
Ledger rows, quarantine and every write stay on the calling thread, in file order, so the outcome
is exactly that of loading the files one after the other.
"""

from __future__ import annotations

import contextvars
import hashlib
import os
import queue
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from sqlalchemy.engine import Engine

from gridflow.errors import ParseError
from gridflow.ingest.batch import Entry, load_batch
from gridflow.ingest.contract import IngestReport, Outcome, Parsed
from gridflow.ingest.files import IngestTicket, already_moved, file_row, mark_failed, open_ticket, skipped_outcome
from gridflow.ingest.quarantine import quarantine
from gridflow.runtime import log
from gridflow.sources.meters import parse_meter_bytes
from gridflow.sources.meters.combined_validation import combined_pass_implies_each
from gridflow.sources.meters.dst import check_zone
from gridflow.sources.meters.validation_view import combined_validation_view, meter_validation_view
from gridflow.validation import gx_adapter
from gridflow.validation.report import ValidationReport
from gridflow.warehouse import ledger
from gridflow.warehouse.meters import PreparedMeterRows, prepare_meter_rows, write_meter_intervals

DATASET = "meter_interval"
SOURCE = "meter_file_drop"
SUITE = "meter_interval"
# Each Prefect task run costs ~30 ms of server CPU: beyond this many files, files share tasks.
MAX_TASKS = 50
# Filling and draining a task's two-stage pipeline costs about one validation group (~1 s), so a
# task should carry far more input than that: ~10 s of SMT files.
MIN_TASK_BYTES = 256 << 20
# One suite run costs ~75 ms whatever its size: validate files together up to this many rows
# (when the suite allows it, see combined_validation), starting small so loading starts soon.
VALIDATION_ROWS = 500_000
FIRST_VALIDATION_ROWS = 100_000
VALIDATION_FILES = 64

T = TypeVar("T")


def scan_drop_folder(folder: str, pattern: str = "*.csv") -> list[str]:
    """Files in `folder` matching `pattern`, in name order (hidden and partial files skipped)."""
    base = Path(folder)
    if not base.is_dir():
        raise ParseError(folder, "drop folder does not exist")
    return [str(p) for p in sorted(base.glob(pattern))
            if p.is_file() and not p.name.startswith(".") and not p.name.endswith(".part")]


def batches(paths: list[str], max_tasks: int = MAX_TASKS, min_task_bytes: int = MIN_TASK_BYTES
            ) -> list[list[str]]:
    """Split files into ordered groups of about equal size, one task each: at most `max_tasks`
    groups, and no more than one per `min_task_bytes` of input."""
    if not paths:
        return []
    sizes = [_size(p) for p in paths]
    total = sum(sizes)
    tasks = max(1, min(max_tasks, len(paths), total // max(min_task_bytes, 1)))
    groups: list[list[str]] = [[]]
    done = 0
    for path, size in zip(paths, sizes, strict=True):
        groups[-1].append(path)
        done += size
        if len(groups) < tasks and done >= total * len(groups) / tasks:
            groups.append([])
    return [g for g in groups if g]


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:  # gone since the scan: its own turn reports it
        return 0


@dataclass
class PreparedFile:
    """One file after the pure stage: its fingerprint and parse, or why it cannot be loaded."""

    path: str
    sha256: str = ""
    parsed: Parsed | None = None
    parse_error: ParseError | None = None
    failed_validation: ValidationReport | None = None
    rows: PreparedMeterRows | None = None  # checked and encoded for the write, once it passed
    fatal: BaseException | None = None  # stops the task at this file, as a sequential run would
    moved: Outcome | None = None  # quarantined by an earlier attempt of this task (a retry)


def ingest_files(engine: Engine, paths: list[str], tz: str | None = None) -> list[Outcome]:
    """Ingest files in order; each is loaded (in one transaction with its ledger row), skipped as
    already loaded, or quarantined. Files are prepared ahead on a background thread. `tz`: the
    meters' zone (None: each format's default, America/Chicago)."""
    if tz is not None:
        check_zone(tz)
    outcomes = []
    with prefetched(_prepared_groups(engine, paths, tz), depth=1) as groups:
        for group in groups:
            for item in group:
                if item.fatal is not None:
                    raise item.fatal
                outcomes.append(_load_prepared(engine, item))
    return outcomes


def _prepared_groups(engine: Engine, paths: list[str], tz: str | None = None) -> Iterator[list[PreparedFile]]:
    """Prepared files in order, in validation groups (one suite run per group when it can)."""
    group: list[PreparedFile] = []
    rows, limit = 0, FIRST_VALIDATION_ROWS
    for path in paths:
        item = _prepare(engine, path, tz)
        group.append(item)
        rows += 0 if item.parsed is None else len(item.parsed.frame)
        if item.fatal is not None or rows >= limit or len(group) >= VALIDATION_FILES:
            _validate_group(group)
            _encode_group(engine, group)
            yield group
            if item.fatal is not None:
                return
            group, rows, limit = [], 0, min(2 * limit, VALIDATION_ROWS)
    if group:
        _validate_group(group)
        _encode_group(engine, group)
        yield group


def _prepare(engine: Engine, path: str, tz: str | None = None) -> PreparedFile:
    """Read, fingerprint and parse one file; no writes (the ledger row is opened when it loads)."""
    item = PreparedFile(path)
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        item.moved = already_moved(engine, DATASET, path)
        if item.moved is None:
            item.fatal = ParseError(path, "no such file")
        return item
    except Exception as exc:
        item.fatal = exc
        return item
    item.sha256 = hashlib.sha256(data).hexdigest()
    try:
        with engine.connect() as conn:
            if ledger.find_loaded(conn, DATASET, item.sha256) is not None:
                return item  # skipped when its turn comes: nothing to parse
        item.parsed = parse_meter_bytes(data, str(Path(path).resolve()), tz=tz)  # as the ledger names it
    except ParseError as exc:
        item.parse_error = exc
    except Exception as exc:
        item.fatal = exc
    return item


def _validate_group(group: list[PreparedFile]) -> None:
    """Run the suite over the group's parsed files, once for all of them when the suite allows
    (see combined_validation); otherwise, or when that run fails, file by file."""
    todo = [item for item in group if item.parsed is not None]
    now = datetime.now(UTC)
    together = [item for item in todo if len(item.parsed.frame)]
    if len(together) > 1 and combined_pass_implies_each(
            gx_adapter.load_suite_dict(SUITE), min(len(item.parsed.frame) for item in together)):
        view = combined_validation_view([item.parsed.frame for item in together], now)
        if gx_adapter.validate_frame(view, SUITE).success:
            todo = [item for item in todo if not len(item.parsed.frame)]
    for item in todo:
        report = gx_adapter.validate_frame(meter_validation_view(item.parsed.frame, now), SUITE)
        if not report.success:
            item.failed_validation = report


def _encode_group(engine: Engine, group: list[PreparedFile]) -> None:
    """The pure part of each valid file's write (checks, spans, COPY encoding), done here so the
    writing thread only patches in the ledger id and sends."""
    valid = [item for item in group if item.parsed is not None and item.failed_validation is None]
    if not valid:
        return
    try:
        with engine.connect() as conn:
            for item in valid:
                item.rows = prepare_meter_rows(conn, item.parsed.frame)
    except Exception:  # only a head start: the write redoes it and fails in the file's own turn
        log().debug("preparing meter rows ahead failed; they are prepared when written", exc_info=True)


def _load_prepared(engine: Engine, item: PreparedFile) -> Outcome:
    """Open the ledger row, then skip, quarantine, or write the rows and close the row together."""
    if item.moved is not None:
        return item.moved
    # The prepared bytes are the ones hashed, so the ledger names exactly the content parsed.
    ticket = open_ticket(engine, item.path, DATASET, SOURCE, sha256=item.sha256)
    path = item.path
    if ticket.already_loaded_by is not None:
        log().info("skipped %s: same content already loaded by ledger id %s", path, ticket.already_loaded_by)
        return skipped_outcome(ticket)
    if item.parse_error is not None:
        exc = item.parse_error
        _quarantine(engine, ticket, str(exc), {"parse_error": exc.detail})
        return Outcome(path, "quarantined", ledger_id=ticket.ledger_id, reason=str(exc))
    parsed = item.parsed
    report = item.failed_validation
    if report is not None:
        _quarantine(engine, ticket, report.reason, report.as_dict())
        return Outcome(path, "quarantined", parsed.rows_read, 0, ticket.ledger_id, report.reason)
    try:
        loaded = load_batch(engine, Entry(SOURCE, DATASET, ticket.path, ticket.sha256, ticket.ledger_id),
                            write_meter_intervals, parsed, rows=item.rows, details={"format": parsed.format})
    except Exception as exc:
        mark_failed(engine, ticket, exc)
        raise
    log().info("loaded %s (%s, %d rows): %s", path, parsed.format, loaded.rows_written, "; ".join(parsed.issues[:3]))
    return Outcome(path, "loaded", parsed.rows_read, loaded.rows_written, ticket.ledger_id,
                   f"{parsed.format}: validated and loaded", list(parsed.issues))


def _quarantine(engine: Engine, ticket: IngestTicket, reason: str, details: dict) -> None:
    # Moved out of the drop folder, so the next scan does not see it again.
    quarantine(engine, DATASET, ticket.ledger_id, reason, details, name=Path(ticket.path).name,
               path=ticket.path, move=True, sha256=ticket.sha256)


@contextmanager
def prefetched(source: Iterator[T], depth: int) -> Iterator[Iterator[T]]:
    """Iterate `source` on a background thread, at most `depth` items ahead of the consumer; its
    exceptions are raised to the consumer in order. Leaving the block stops the thread."""
    slots: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def offer(entry: tuple[bool, object]) -> bool:
        while not stop.is_set():
            try:
                slots.put(entry, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in source:
                if not offer((True, item)):
                    return
        except BaseException as exc:  # raised on the consumer's side, where it belongs
            offer((False, exc))
            return
        offer((False, None))

    def consume() -> Iterator[T]:
        while True:
            ok, value = slots.get()
            if ok:
                yield value
            elif value is None:
                return
            else:
                raise value

    worker = threading.Thread(target=contextvars.copy_context().run, args=(produce,),
                              name="meter-prepare", daemon=True)
    worker.start()
    try:
        yield consume()
    finally:
        stop.set()
        worker.join()


def meter_report(folder: str, outcomes: list[Outcome]) -> IngestReport:
    """The run's CLI line and its artifact: one row per file plus a totals row."""
    def count(status: str) -> int:
        return sum(1 for o in outcomes if o.status == status)

    written = sum(o.rows_written for o in outcomes)
    rows = [{**file_row(o, issues=3), "reason": o.reason[:300], "issues": "; ".join(o.issues[:3])[:300]}
            for o in outcomes]
    rows.append({"file": f"TOTAL: {len(outcomes)} seen", "status":
                 f"{count('loaded')} loaded, {count('skipped')} skipped, {count('quarantined')} quarantined",
                 "rows read": sum(o.rows_read for o in outcomes), "rows written": written,
                 "ledger id": None, "reason": "", "issues": ""})
    line = (f"{len(outcomes)} files: {count('loaded')} loaded, {count('skipped')} skipped, "
            f"{count('quarantined')} quarantined; {written} rows written")
    return IngestReport(SOURCE, folder, list(outcomes), line, "ingest-smart-meter",
                        f"Smart-meter drop folder {folder}", rows)
