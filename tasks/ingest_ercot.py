"""Tasks of the ERCOT MIS ingestion: list new documents, ingest each one, report.

Each document is one task run and, when it loads, one database transaction holding its rows, its
ledger entry and its `source_document` row: a crash between documents loses nothing, and a
document is never loaded twice. Quarantine (bad ZIP, bad CSV, failed suite) is an outcome, not a
failure: the next documents still load. Only network errors are retried by Prefect.
"""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from prefect import task
from prefect.artifacts import create_table_artifact

from gridflow.clients.ercot_mis import ErcotMISClient, RetryPolicy
from gridflow.config import get_settings
from gridflow.errors import GridflowError, ParseError
from gridflow.sources import safe_zip
from gridflow.sources.ercot.listing import Document
from gridflow.sources.ercot.reports import ReportSpec, get_report
from gridflow.validation import gx_adapter
from gridflow.warehouse import documents, ledger
from tasks.common import LIGHT, WORK, log, warehouse
from tasks.ingest import IngestTicket, quarantine

SOURCE = "ercot_mis"


class ErcotIngestError(GridflowError):
    """Some documents could not be ingested (download failed); the others were loaded."""


@dataclass(frozen=True)
class Listing:
    """What the report's listing showed and which documents this run will ingest (oldest first)."""

    report: str
    listed: int
    matching: int
    already_seen: int
    new: list[Document]


@dataclass(frozen=True)
class DocumentOutcome:
    """What happened to one document."""

    doc_id: str
    name: str
    published_at_utc: datetime
    status: str  # loaded | skipped | quarantined | failed
    rows_read: int = 0
    rows_written: int = 0
    rows_replaced: int = 0
    ledger_id: int | None = None
    reason: str = ""


@dataclass(frozen=True)
class ErcotIngestSummary:
    """The run's totals and per-document outcomes, for the artifact, the CLI and tests."""

    report: str
    listed: int
    already_seen: int
    documents: list[DocumentOutcome] = field(default_factory=list)

    def count(self, status: str) -> int:
        """Number of documents that ended with `status`."""
        return sum(1 for d in self.documents if d.status == status)

    @property
    def rows_written(self) -> int:
        """Rows written by all loaded documents."""
        return sum(d.rows_written for d in self.documents)


def zip_limits() -> safe_zip.ZipLimits:
    """Download caps from settings; the defaults suit ERCOT's daily reports."""
    config = get_settings().ercot
    return safe_zip.ZipLimits(max_compressed_bytes=config.max_zip_bytes, max_uncompressed_bytes=config.max_csv_bytes,
                              max_members=safe_zip.ZipLimits().max_members)


def make_client(base_url: str | None) -> ErcotMISClient:
    """The MIS client for `base_url` (default: settings), with the configured retry pacing."""
    config = get_settings().ercot
    retry = RetryPolicy(max_attempts=config.max_attempts, backoff_seconds=config.backoff_seconds)
    return ErcotMISClient(base_url or config.base_url, retry=retry, max_download_bytes=config.max_zip_bytes)


@task(name="list-ercot-documents", task_run_name="list-ercot-{report}", **WORK)
def list_new_documents(report: str, base_url: str | None = None, max_documents: int | None = None) -> Listing:
    """The report's CSV documents not ingested before, oldest publication first (at most `max_documents`)."""
    spec = get_report(report)
    with make_client(base_url) as client:
        listed = client.list_documents(spec.report_type_id)
    matching = [d for d in listed
                if d.is_csv and d.report_type_id == spec.report_type_id and spec.matches(d.friendly_name)]
    with warehouse().connect() as conn:
        unseen = [d for d in matching if documents.seen_document(conn, SOURCE, d.doc_id) is None]
    # Oldest first, so a re-publication is applied after the document it replaces, and a capped
    # run resumes where it stopped.
    new = sorted(unseen, key=lambda d: (d.published_at_utc, d.doc_id))
    if max_documents is not None:
        new = new[:max_documents]
    seen = len(matching) - len(unseen)
    log().info("%s: %d documents listed, %d CSV documents of this report, %d seen before, %d to ingest now",
               spec.key, len(listed), len(matching), seen, len(new))
    return Listing(spec.key, len(listed), len(matching), seen, new)


@task(name="ingest-ercot-document", task_run_name="ingest-ercot-{doc.doc_id}", **WORK)
def ingest_document(doc: Document, report: str, base_url: str | None = None,
                    settlement_points: list[str] | None = None) -> DocumentOutcome:
    """Download, extract, parse, validate and load (or quarantine) one document."""
    spec = get_report(report)
    engine = warehouse()
    with engine.connect() as conn:
        if documents.seen_document(conn, SOURCE, doc.doc_id) is not None:
            return _outcome(doc, "skipped", reason="already ingested (by another run)")
    with make_client(base_url) as client:
        locator = client.download_url(doc.doc_id)
        body = client.download(doc.doc_id)
    sha = hashlib.sha256(body).hexdigest()

    with engine.begin() as conn:
        newer = documents.latest_by_name(conn, SOURCE, doc.constructed_name)
        if newer is not None and newer.published_at is not None and newer.published_at > doc.published_at_utc:
            # An older publication arriving late must not overwrite the correction already loaded.
            ledger_id = ledger.start_ingest(conn, SOURCE, spec.dataset, locator, sha)
            reason = f"superseded by document {newer.doc_id} published {newer.published_at:%Y-%m-%d %H:%M:%S} UTC"
            ledger.finish_ingest(conn, ledger_id, "skipped", reason=reason)
            documents.record_document(conn, SOURCE, doc.doc_id, str(spec.report_type_id), doc.constructed_name,
                                      doc.published_at_utc, ledger_id, superseded_by=str(newer.doc_id))
            return _outcome(doc, "skipped", ledger_id=ledger_id, reason=reason)

    try:
        member = safe_zip.extract_csv(body, locator, zip_limits(), origin="ERCOT")
        parsed = spec.parser(member.data, f"{doc.constructed_name}:{member.name}", settlement_points)
    except ParseError as exc:
        return _quarantine(doc, spec, locator, sha, body, reason=str(exc), details={"parse_error": exc.detail})
    report = gx_adapter.validate_frame(spec.view(parsed.frame), spec.dataset)
    if not report.success:
        return _quarantine(doc, spec, locator, sha, body, reason=report.reason, details=report.as_dict(),
                           rows_read=parsed.rows_read)

    # One transaction: rows, ledger entry and document record commit together or not at all.
    with engine.begin() as conn:
        ledger_id = ledger.start_ingest(conn, SOURCE, spec.dataset, locator, sha)
        previous = [d for d in documents.documents_by_name(conn, SOURCE, doc.constructed_name)
                    if d.published_at is None or d.published_at <= doc.published_at_utc]
        frame = parsed.frame.assign(ingest_id=ledger_id, updated_at=datetime.now(UTC))
        deleted, written = documents.replace_document_rows(
            conn, spec.table, frame, list(spec.key_columns), [d.ingest_id for d in previous])
        issues = list(parsed.issues)
        if previous:
            issues.append(f"re-publication: replaced {deleted} row(s) of document(s) "
                          f"{', '.join(str(d.doc_id) for d in previous)}")
        ledger.finish_ingest(conn, ledger_id, "loaded", rows_read=parsed.rows_read, rows_written=written,
                             reason="; ".join(issues) or None,
                             details={"doc_id": doc.doc_id, "name": doc.constructed_name, "issues": issues})
        documents.record_document(conn, SOURCE, doc.doc_id, str(spec.report_type_id), doc.constructed_name,
                                  doc.published_at_utc, ledger_id)
        documents.mark_superseded(conn, SOURCE, [str(d.doc_id) for d in previous], doc.doc_id)
    log().info("loaded ERCOT document %s (%s): %d rows", doc.doc_id, doc.constructed_name, written)
    return _outcome(doc, "loaded", rows_read=parsed.rows_read, rows_written=written, rows_replaced=deleted,
                    ledger_id=ledger_id, reason="; ".join(issues) or "validated and loaded")


def _quarantine(doc: Document, spec: ReportSpec, locator: str, sha: str, body: bytes, reason: str,
                details: dict, rows_read: int = 0) -> DocumentOutcome:
    with warehouse().begin() as conn:
        ledger_id = ledger.start_ingest(conn, SOURCE, spec.dataset, locator, sha)
    # tasks.ingest.quarantine keeps files, so the in-memory body becomes one, moved into quarantine.
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / doc.constructed_name
        path.write_bytes(body)
        ticket = IngestTicket(spec.dataset, SOURCE, str(path), sha, ledger_id)
        kept = quarantine(ticket, reason=reason, details={**details, "doc_id": doc.doc_id, "url": locator},
                          move=True)
    # Recorded as seen: a bad publication is not fetched again every hour (a re-publication has a new DocID).
    with warehouse().begin() as conn:
        documents.record_document(conn, SOURCE, doc.doc_id, str(spec.report_type_id), doc.constructed_name,
                                  doc.published_at_utc, ledger_id)
    return _outcome(doc, "quarantined", rows_read=rows_read, ledger_id=ledger_id,
                    reason=f"{reason} (kept at {kept})")


def _outcome(doc: Document, status: str, **kwargs: object) -> DocumentOutcome:
    return DocumentOutcome(doc.doc_id, doc.constructed_name, doc.published_at_utc, status, **kwargs)


def failed_outcome(doc: Document, error: BaseException | None) -> DocumentOutcome:
    """The outcome of a document whose task failed (e.g. the download kept failing)."""
    return _outcome(doc, "failed", reason=f"{type(error).__name__}: {error}" if error else "failed")


@task(name="publish-ercot-summary", **LIGHT)
def publish_ercot_summary(listing: Listing, outcomes: list[DocumentOutcome]) -> ErcotIngestSummary:
    """Table artifact: one row per document handled, totals in the description."""
    summary = ErcotIngestSummary(listing.report, listing.matching, listing.already_seen, list(outcomes))
    totals = (f"{listing.matching} documents listed for {listing.report} ({listing.listed} rows in the listing), "
              f"{listing.already_seen} seen before; this run: {summary.count('loaded')} loaded, "
              f"{summary.count('skipped')} skipped, {summary.count('quarantined')} quarantined, "
              f"{summary.count('failed')} failed, {summary.rows_written} rows written")
    rows = [{"doc id": o.doc_id, "document": o.name, "published (UTC)": f"{o.published_at_utc:%Y-%m-%d %H:%M:%S}",
             "status": o.status, "rows read": o.rows_read, "rows written": o.rows_written,
             "rows replaced": o.rows_replaced, "ledger id": o.ledger_id, "reason": o.reason[:300]}
            for o in outcomes]
    if not rows:
        rows = [{"doc id": "", "document": "(nothing new)", "status": "", "reason": totals}]
    create_table_artifact(key=f"ingest-ercot-{listing.report.replace('_', '-')}", table=rows, description=totals)
    log().info(totals)
    return summary
