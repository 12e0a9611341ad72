"""File inputs (operator-named files, drop folders): identity, ledger ticket, per-file outcome, artifact."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Engine

from gridflow.errors import ParseError, ValidationFailed
from gridflow.ingest.batch import Entry, load_batch
from gridflow.ingest.contract import IngestReport, Outcome, Parsed
from gridflow.ingest.quarantine import moved_earlier, quarantine
from gridflow.provenance import file_sha256
from gridflow.runtime import log
from gridflow.validation.report import ValidationReport
from gridflow.warehouse import ledger
from gridflow.warehouse.documents import TableWriter


@dataclass(frozen=True)
class IngestTicket:
    """One input file's identity and its ledger row for this attempt."""

    dataset: str
    source: str
    path: str
    sha256: str
    ledger_id: int
    already_loaded_by: int | None = None


def open_ticket(engine: Engine, path: str, dataset: str, source: str, sha256: str | None = None) -> IngestTicket:
    """Hash the file (unless `sha256` is given) and open its ledger row; content loaded before is
    recorded as skipped at once."""
    file = Path(path)
    if sha256 is None:
        if not file.is_file():
            raise ParseError(path, "no such file")
        sha256 = file_sha256(file)
    located = str(file.resolve())
    with engine.begin() as conn:
        previous = ledger.find_loaded(conn, dataset, sha256)
        ledger_id = ledger.start_ingest(conn, source, dataset, located, sha256)
        if previous is not None:
            ledger.finish_ingest(conn, ledger_id, "skipped",
                                 reason=f"same content already loaded by ledger id {previous.id}")
    return IngestTicket(dataset, source, located, sha256, ledger_id, None if previous is None else previous.id)


def skipped_outcome(ticket: IngestTicket) -> Outcome:
    """The outcome of a file whose content was loaded before."""
    return Outcome(ticket.path, "skipped", ledger_id=ticket.ledger_id,
                   reason=f"same content already loaded by ledger id {ticket.already_loaded_by}")


def already_moved(engine: Engine, dataset: str, path: str) -> Outcome | None:
    """A retried task names a drop-folder file its first attempt quarantined: that outcome, or None
    when the file was never moved (then it is really missing)."""
    moved = moved_earlier(engine, dataset, path)
    if moved is None:
        return None
    return Outcome(path, "quarantined", moved.rows_read or 0, 0, moved.ledger_id,
                   f"{moved.reason} (moved to {moved.kept_at} by an earlier attempt)")


def mark_failed(engine: Engine, ticket: IngestTicket, exc: BaseException) -> None:
    """Close a ticket's ledger row as failed: a retry opens a fresh one, this one must not stay "started"."""
    try:
        with engine.begin() as conn:
            ledger.finish_ingest(conn, ticket.ledger_id, "failed", reason=f"{type(exc).__name__}: {exc}")
    except Exception:  # the database may be what failed; the original error matters more
        log().warning("could not mark ledger id %s failed", ticket.ledger_id)


def parse_or_quarantine(engine: Engine, ticket: IngestTicket, parse: Callable[[Path], Parsed]) -> Parsed:
    """`parse` the ticket's file; an unreadable one is quarantined with the parser's reason and the
    ParseError re-raised."""
    try:
        return parse(Path(ticket.path))
    except ParseError as exc:
        quarantine(engine, ticket.dataset, ticket.ledger_id, str(exc), {"parse_error": exc.detail},
                   name=Path(ticket.path).name, path=ticket.path, sha256=ticket.sha256)
        raise


def load_or_quarantine(engine: Engine, ticket: IngestTicket, parsed: Parsed, report: ValidationReport,
                       write: TableWriter) -> Outcome:
    """Load a validated file with `write` and its ledger row in one transaction; quarantine an invalid
    one with the suite's reason (ValidationFailed)."""
    if not report.success:
        quarantine(engine, ticket.dataset, ticket.ledger_id, report.reason, report.as_dict(),
                   name=Path(ticket.path).name, path=ticket.path, rows_read=parsed.rows_read,
                   sha256=ticket.sha256)
        raise ValidationFailed(ticket.dataset, [f.as_dict() for f in report.failures], ticket.ledger_id)
    entry = Entry(ticket.source, ticket.dataset, ticket.path, ticket.sha256, ticket.ledger_id)
    loaded = load_batch(engine, entry, write, parsed)
    return Outcome(ticket.path, "loaded", parsed.rows_read, loaded.rows_written, ticket.ledger_id,
                   "validated and loaded", list(parsed.issues))


def file_row(outcome: Outcome, issues: int = 5) -> dict:
    """One artifact row of a file's outcome."""
    return {"file": Path(outcome.item).name, "status": outcome.status, "rows read": outcome.rows_read,
            "rows written": outcome.rows_written, "ledger id": outcome.ledger_id, "reason": outcome.reason,
            "issues": "; ".join(outcome.issues[:issues])}


def file_report(dataset: str, outcome: Outcome) -> IngestReport:
    """The report of one operator-named file: ``<status>: <n> rows written (<reason>)``."""
    return IngestReport(
        source=dataset, subject=outcome.item, outcomes=[outcome],
        headline=f"{outcome.status}: {outcome.rows_written} rows written ({outcome.reason})",
        artifact_key=f"ingest-{dataset.replace('_', '-')}", description=f"Ingestion of {dataset}",
        rows=[file_row(outcome)],
    )
