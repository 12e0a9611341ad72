"""Tasks of the ingestion flows: fingerprint, parse, validate, quarantine or load, report."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from prefect import task
from prefect.artifacts import create_table_artifact
from prefect.events import emit_event

from gridflow.config import get_settings
from gridflow.errors import ParseError, ValidationFailed
from gridflow.provenance import file_sha256
from gridflow.sources import pjm_load_csv
from gridflow.validation import gx_adapter
from gridflow.validation.report import ValidationReport
from gridflow.validation.views import load_validation_view
from gridflow.warehouse import ledger
from gridflow.warehouse.loads import write_load_observations
from tasks.common import LIGHT, WORK, log, warehouse


@dataclass(frozen=True)
class IngestTicket:
    """One input file's identity and its ledger row for this attempt."""

    dataset: str
    source: str
    path: str
    sha256: str
    ledger_id: int
    already_loaded_by: int | None = None


@dataclass(frozen=True)
class IngestSummary:
    """What one ingestion did, for the artifact, the CLI and tests."""

    dataset: str
    path: str
    status: str
    rows_read: int = 0
    rows_written: int = 0
    ledger_id: int | None = None
    reason: str = ""
    issues: list[str] = field(default_factory=list)


@task(name="open-ingest", task_run_name="open-ingest-{dataset}", **WORK)
def open_ingest(path: str, dataset: str, source: str) -> IngestTicket:
    """Hash the file and open a ledger row; a file already loaded is marked skipped."""
    file = Path(path)
    if not file.is_file():
        raise ParseError(path, "no such file")
    digest = file_sha256(file)
    with warehouse().begin() as conn:
        previous = ledger.find_loaded(conn, dataset, digest)
        ledger_id = ledger.start_ingest(conn, source, dataset, str(file.resolve()), digest)
        if previous is not None:
            ledger.finish_ingest(
                conn, ledger_id, "skipped", reason=f"same content already loaded by ledger id {previous.id}"
            )
    return IngestTicket(dataset, source, str(file.resolve()), digest, ledger_id,
                        None if previous is None else previous.id)


@task(name="parse-load-file", **WORK)
def parse_load_file(ticket: IngestTicket) -> pjm_load_csv.ParseResult:
    """Parse a PJM hourly load CSV (Data Miner export or Kaggle file) into the canonical frame."""
    try:
        return pjm_load_csv.detect_and_parse(Path(ticket.path))
    except ParseError as exc:
        quarantine(ticket, reason=str(exc), details={"parse_error": exc.detail})
        raise


@task(name="validate-batch", task_run_name="validate-{suite}", **LIGHT)
def validate_batch(frame: pd.DataFrame, suite: str) -> ValidationReport:
    """Run the dataset's expectation suite on the parsed batch."""
    report = gx_adapter.validate_frame(load_validation_view(frame), suite)
    log().info(report.reason)
    return report


@task(name="load-or-quarantine", **WORK)
def load_or_quarantine(
    ticket: IngestTicket, parsed: pjm_load_csv.ParseResult, report: ValidationReport
) -> IngestSummary:
    """Upsert a valid batch and close its ledger row in one transaction; quarantine an invalid one."""
    if not report.success:
        quarantine(ticket, reason=report.reason, details=report.as_dict())
        raise ValidationFailed(ticket.dataset, [fl.as_dict() for fl in report.failures], ticket.ledger_id)
    # One transaction: a crash halfway leaves neither rows nor a `loaded` ledger entry behind.
    with warehouse().begin() as conn:
        written = write_load_observations(conn, parsed.frame, ticket.ledger_id)
        ledger.finish_ingest(
            conn, ticket.ledger_id, "loaded", rows_read=parsed.rows_read, rows_written=written,
            reason="; ".join(parsed.issues) or None, details={"issues": parsed.issues},
        )
    return IngestSummary(ticket.dataset, ticket.path, "loaded", parsed.rows_read, written,
                         ticket.ledger_id, "validated and loaded", list(parsed.issues))


@task(name="publish-ingest-summary", **LIGHT)
def publish_ingest_summary(summary: IngestSummary) -> IngestSummary:
    """Table artifact of what this ingestion saw and did."""
    create_table_artifact(
        key=f"ingest-{summary.dataset.replace('_', '-')}",
        table=[{
            "file": Path(summary.path).name,
            "status": summary.status,
            "rows read": summary.rows_read,
            "rows written": summary.rows_written,
            "ledger id": summary.ledger_id,
            "reason": summary.reason,
            "issues": "; ".join(summary.issues[:5]),
        }],
        description=f"Ingestion of {summary.dataset}",
    )
    return summary


def skipped_summary(ticket: IngestTicket) -> IngestSummary:
    """The summary of a file whose content was loaded before."""
    return IngestSummary(ticket.dataset, ticket.path, "skipped", ledger_id=ticket.ledger_id,
                         reason=f"same content already loaded by ledger id {ticket.already_loaded_by}")


def quarantine(ticket: IngestTicket, reason: str, details: dict, move: bool = False) -> Path:
    """Set a rejected file aside under the quarantine folder, record why, and announce it.

    `move=False` keeps the operator's original in place (a file named on the command line);
    `move=True` takes it out of a drop folder so the next scan does not see it again.
    """
    folder = get_settings().quarantine_dir / ticket.dataset
    folder.mkdir(parents=True, exist_ok=True)
    kept = folder / f"{ticket.ledger_id}-{Path(ticket.path).name}"
    if move:
        shutil.move(ticket.path, kept)
    else:
        shutil.copy2(ticket.path, kept)
    with warehouse().begin() as conn:
        ledger.finish_ingest(conn, ticket.ledger_id, "quarantined", reason=reason,
                             details={**details, "kept_at": str(kept)})
    emit_event(
        event="gridflow.data.quarantined",
        resource={"prefect.resource.id": f"gridflow.dataset.{ticket.dataset}"},
        payload={"ledger_id": ticket.ledger_id, "file": ticket.path, "reason": reason[:2000]},
    )
    log().error("quarantined %s (ledger id %s): %s", ticket.path, ticket.ledger_id, reason)
    return kept
