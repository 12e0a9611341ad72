"""Tasks of the smart-meter drop-folder flow: scan, then per file fingerprint -> parse -> validate ->
load (or quarantine), each file in its own transaction with its ledger row."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from prefect import task
from prefect.artifacts import create_table_artifact

from gridflow.errors import ParseError
from gridflow.sources.meters import parse_meter_file
from gridflow.sources.meters.validation_view import meter_validation_view
from gridflow.validation import gx_adapter
from gridflow.warehouse import ledger
from gridflow.warehouse.meters import write_meter_intervals
from tasks.common import LIGHT, WORK, log, warehouse
from tasks.ingest import IngestSummary, IngestTicket, open_ingest, quarantine, skipped_summary

DATASET = "meter_interval"
SOURCE = "meter_file_drop"
SUITE = "meter_interval"
# Each Prefect task run costs ~30 ms of server CPU: beyond this many files, files share tasks.
MAX_TASKS = 50


@dataclass(frozen=True)
class DropFolderReport:
    """What one scan of the drop folder did, file by file and in total."""

    folder: str
    files: list[IngestSummary] = field(default_factory=list)

    def count(self, status: str) -> int:
        """Files that ended with `status` (loaded, skipped, quarantined)."""
        return sum(1 for f in self.files if f.status == status)

    @property
    def rows_written(self) -> int:
        """Interval rows inserted or replaced in this run."""
        return sum(f.rows_written for f in self.files)


def scan_drop_folder(folder: str, pattern: str = "*.csv") -> list[str]:
    """Files in `folder` matching `pattern`, in name order (hidden and partial files skipped)."""
    base = Path(folder)
    if not base.is_dir():
        raise ParseError(folder, "drop folder does not exist")
    return [str(p) for p in sorted(base.glob(pattern))
            if p.is_file() and not p.name.startswith(".") and not p.name.endswith(".part")]


def batches(paths: list[str], max_tasks: int = MAX_TASKS) -> list[list[str]]:
    """Split files into at most `max_tasks` ordered groups, one task each."""
    if not paths:
        return []
    size = math.ceil(len(paths) / max_tasks)
    return [paths[i:i + size] for i in range(0, len(paths), size)]


def ingest_one_file(path: str) -> IngestSummary:
    """Fingerprint, parse, validate and load one file; a bad file is moved to quarantine."""
    ticket: IngestTicket = open_ingest.fn(path, dataset=DATASET, source=SOURCE)
    if ticket.already_loaded_by is not None:
        log().info("skipped %s: same content already loaded by ledger id %s", path, ticket.already_loaded_by)
        return skipped_summary(ticket)
    try:
        parsed = parse_meter_file(ticket.path)
    except ParseError as exc:
        quarantine(ticket, reason=str(exc), details={"parse_error": exc.detail}, move=True)
        return IngestSummary(DATASET, path, "quarantined", ledger_id=ticket.ledger_id, reason=str(exc))
    report = gx_adapter.validate_frame(meter_validation_view(parsed.frame), SUITE)
    if not report.success:
        quarantine(ticket, reason=report.reason, details=report.as_dict(), move=True)
        return IngestSummary(DATASET, path, "quarantined", parsed.rows_read, 0, ticket.ledger_id, report.reason)
    try:
        # One transaction: a crash halfway leaves neither rows nor a `loaded` ledger entry behind.
        with warehouse().begin() as conn:
            written = write_meter_intervals(conn, parsed.frame, ticket.ledger_id)
            ledger.finish_ingest(
                conn, ticket.ledger_id, "loaded", rows_read=parsed.rows_read, rows_written=written,
                reason="; ".join(parsed.issues)[:4000] or None,
                details={"format": parsed.format, "issues": parsed.issues},
            )
    except Exception as exc:
        _mark_failed(ticket, exc)
        raise
    log().info("loaded %s (%s, %d rows): %s", path, parsed.format, written, "; ".join(parsed.issues[:3]))
    return IngestSummary(DATASET, path, "loaded", parsed.rows_read, written, ticket.ledger_id,
                         f"{parsed.format}: validated and loaded", list(parsed.issues))


def _mark_failed(ticket: IngestTicket, exc: BaseException) -> None:
    # A retry or re-run opens a fresh ledger row; this one should not stay "started" forever.
    try:
        with warehouse().begin() as conn:
            ledger.finish_ingest(conn, ticket.ledger_id, "failed", reason=f"{type(exc).__name__}: {exc}"[:4000])
    except Exception:  # the database may be what failed; the original error matters more
        log().warning("could not mark ledger id %s failed", ticket.ledger_id)


@task(name="ingest-meter-files", task_run_name="ingest-meter-files-{first_name}", **WORK)
def ingest_meter_files(paths: list[str], first_name: str = "") -> list[IngestSummary]:
    """Ingest a group of drop-folder files in order; each file commits on its own."""
    return [ingest_one_file(p) for p in paths]


@task(name="publish-meter-summary", **LIGHT)
def publish_meter_summary(report: DropFolderReport) -> DropFolderReport:
    """Table artifact: one row per file plus a totals row."""
    rows = [{"file": Path(f.path).name, "status": f.status, "rows read": f.rows_read,
             "rows written": f.rows_written, "ledger id": f.ledger_id, "reason": f.reason[:300],
             "issues": "; ".join(f.issues[:3])[:300]} for f in report.files]
    rows.append({"file": f"TOTAL: {len(report.files)} seen", "status":
                 f"{report.count('loaded')} loaded, {report.count('skipped')} skipped, "
                 f"{report.count('quarantined')} quarantined",
                 "rows read": sum(f.rows_read for f in report.files), "rows written": report.rows_written,
                 "ledger id": None, "reason": "", "issues": ""})
    create_table_artifact(key="ingest-smart-meter", table=rows,
                          description=f"Smart-meter drop folder {report.folder}")
    return report
