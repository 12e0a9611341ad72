"""ERCOT MIS ingestion: list a report's new documents, then ingest each one on its own.

A document that loads is one transaction holding its rows, its ledger entry and its
`source_document` row (`load_batch`): a crash between documents loses nothing, and a document is
never loaded twice. Quarantine (a download over the cap, bad ZIP, bad CSV, failed suite) is an
outcome, not a failure: the next documents still load, and a quarantined document is not fetched again.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy.engine import Engine

from gridflow.clients.ercot_mis import ErcotDownloadTooLarge, ErcotMISClient
from gridflow.clients.http_retry import RetryPolicy
from gridflow.config import get_settings
from gridflow.errors import GridflowError, ParseError
from gridflow.ingest import batch
from gridflow.ingest.batch import Entry, load_batch
from gridflow.ingest.contract import IngestReport, Outcome, counter_line
from gridflow.ingest.quarantine import quarantine
from gridflow.runtime import log
from gridflow.sources import safe_zip
from gridflow.sources.ercot.listing import Document
from gridflow.sources.ercot.reports import ReportSpec, get_report
from gridflow.validation import gx_adapter
from gridflow.warehouse import documents, ledger

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


def zip_limits() -> safe_zip.ZipLimits:
    """Download caps from settings; the defaults suit ERCOT's daily reports."""
    config = get_settings().ercot
    return safe_zip.ZipLimits(max_compressed_bytes=config.max_zip_bytes, max_uncompressed_bytes=config.max_csv_bytes,
                              max_members=safe_zip.ZipLimits().max_members)


def make_client(base_url: str | None) -> ErcotMISClient:
    """The MIS client for `base_url` (default: settings), with the configured retry pacing."""
    config = get_settings().ercot
    retry = RetryPolicy(max_attempts=config.max_attempts, backoff_seconds=config.backoff_seconds)
    return ErcotMISClient(base_url or config.base_url, retry=retry, max_download_bytes=config.max_zip_bytes,
                          timeout=get_settings().http_timeout_seconds)


def list_new_documents(engine: Engine, report: str, base_url: str | None = None,
                       max_documents: int | None = None) -> Listing:
    """The report's documents (in its member format) not ingested before, oldest first (at most `max_documents`)."""
    spec = get_report(report)
    with make_client(base_url) as client:
        listed = client.list_documents(spec.report_type_id)
    # `matches` holds the format rule (a CSV report's friendly names end `_CSV`, so its XML twins drop out).
    matching = [d for d in listed if d.report_type_id == spec.report_type_id and spec.matches(d.friendly_name)]
    with engine.connect() as conn:
        unseen = [d for d in matching if documents.seen_document(conn, SOURCE, d.doc_id) is None]
    # Oldest first, so a re-publication is applied after the document it replaces, and a capped
    # run resumes where it stopped.
    new = sorted(unseen, key=lambda d: (d.published_at_utc, d.doc_id))
    if max_documents is not None:
        new = new[:max_documents]
    seen = len(matching) - len(unseen)
    log().info("%s: %d documents listed, %d %s documents of this report, %d seen before, %d to ingest now",
               spec.key, len(listed), len(matching), spec.member.upper(), seen, len(new))
    return Listing(spec.key, len(listed), len(matching), seen, new)


def ingest_document(engine: Engine, doc: Document, report: str, base_url: str | None = None,
                    settlement_points: list[str] | None = None) -> Outcome:
    """Download, extract, parse, validate and load (or quarantine) one document."""
    spec = get_report(report)
    with engine.connect() as conn:
        if documents.seen_document(conn, SOURCE, doc.doc_id) is not None:
            return document_outcome(doc, "skipped", reason="already ingested (by another run)")
    with make_client(base_url) as client:
        locator = client.download_url(doc.doc_id)
        try:
            body = client.download(doc.doc_id)
        except ErcotDownloadTooLarge as exc:
            # Refused at the cap, as a bomb is: the next run would fetch and refuse it again.
            note = f"{exc}\nThe body was refused at the download cap and not kept.\n".encode()
            return _quarantine(engine, doc, spec, locator, hashlib.sha256(note).hexdigest(), note, reason=str(exc),
                               details={"download_refused": True}, name=f"{doc.constructed_name}.refused.txt")
    sha = hashlib.sha256(body).hexdigest()

    superseded = _skip_if_superseded(engine, doc, spec, locator, sha)
    if superseded is not None:
        return superseded
    try:
        member = safe_zip.extract_member(body, locator, zip_limits(), origin="ERCOT", extension=spec.member)
        parsed = spec.parser(member.data, f"{doc.constructed_name}:{member.name}", settlement_points)
    except ParseError as exc:
        return _quarantine(engine, doc, spec, locator, sha, body, reason=str(exc), details={"parse_error": exc.detail})
    checked = gx_adapter.validate_frame(spec.view(parsed.frame), spec.dataset)
    if not checked.success:
        return _quarantine(engine, doc, spec, locator, sha, body, reason=checked.reason, details=checked.as_dict(),
                           rows_read=parsed.rows_read)

    loaded = load_batch(
        engine, Entry(SOURCE, spec.dataset, locator, sha), spec.write, parsed,
        details={"doc_id": doc.doc_id, "name": doc.constructed_name},
        document=batch.Document(doc.doc_id, str(spec.report_type_id), doc.constructed_name, doc.published_at_utc,
                                spec.table),
    )
    log().info("loaded ERCOT document %s (%s): %d rows", doc.doc_id, doc.constructed_name, loaded.rows_written)
    return document_outcome(doc, "loaded", rows_read=parsed.rows_read, rows_written=loaded.rows_written,
                            rows_replaced=loaded.rows_replaced, ledger_id=loaded.ledger_id,
                            reason=loaded.reason or "validated and loaded")


def _skip_if_superseded(engine: Engine, doc: Document, spec: ReportSpec, locator: str, sha: str) -> Outcome | None:
    """Record an older publication arriving late as skipped: it must not overwrite the correction."""
    with engine.begin() as conn:
        newer = documents.latest_by_name(conn, SOURCE, doc.constructed_name)
        if newer is None or newer.published_at is None or newer.published_at <= doc.published_at_utc:
            return None
        ledger_id = ledger.start_ingest(conn, SOURCE, spec.dataset, locator, sha)
        reason = f"superseded by document {newer.doc_id} published {newer.published_at:%Y-%m-%d %H:%M:%S} UTC"
        ledger.finish_ingest(conn, ledger_id, "skipped", reason=reason)
        documents.record_document(conn, SOURCE, doc.doc_id, str(spec.report_type_id), doc.constructed_name,
                                  doc.published_at_utc, ledger_id, superseded_by=str(newer.doc_id))
    return document_outcome(doc, "skipped", ledger_id=ledger_id, reason=reason)


def _quarantine(engine: Engine, doc: Document, spec: ReportSpec, locator: str, sha: str, body: bytes, reason: str,
                details: dict, rows_read: int = 0, name: str | None = None) -> Outcome:
    with engine.begin() as conn:
        ledger_id = ledger.start_ingest(conn, SOURCE, spec.dataset, locator, sha)
    kept = quarantine(engine, spec.dataset, ledger_id, reason, {**details, "doc_id": doc.doc_id, "url": locator},
                      name=name or doc.constructed_name, data=body, locator=locator)
    # Recorded as seen: a bad publication is not fetched again every hour (a re-publication has a new DocID).
    with engine.begin() as conn:
        documents.record_document(conn, SOURCE, doc.doc_id, str(spec.report_type_id), doc.constructed_name,
                                  doc.published_at_utc, ledger_id)
    return document_outcome(doc, "quarantined", rows_read=rows_read, ledger_id=ledger_id,
                            reason=f"{reason} (kept at {kept})")


def document_outcome(doc: Document, status: str, *, rows_read: int = 0, rows_written: int = 0,
                     rows_replaced: int = 0, ledger_id: int | None = None, reason: str = "") -> Outcome:
    """The outcome of one document; its facts are the doc id, name, publish time and rows replaced."""
    facts = {"doc_id": doc.doc_id, "name": doc.constructed_name, "published_at_utc": doc.published_at_utc,
             "rows_replaced": rows_replaced}
    return Outcome(doc.doc_id, status, rows_read, rows_written, ledger_id, reason, facts=facts)


def failed_outcome(doc: Document, error: BaseException | None) -> Outcome:
    """The outcome of a document whose task failed (e.g. the download kept failing)."""
    return document_outcome(doc, "failed", reason=f"{type(error).__name__}: {error}" if error else "failed")


def ercot_report(listing: Listing, outcomes: list[Outcome]) -> IngestReport:
    """Totals of one run, its CLI line and its artifact (one row per document handled)."""
    def count(status: str) -> int:
        return sum(1 for o in outcomes if o.status == status)

    written = sum(o.rows_written for o in outcomes)
    totals = {"report": listing.report, "listed": listing.matching, "already_seen": listing.already_seen}
    line = counter_line([*totals.items(), *((s, count(s)) for s in ("loaded", "skipped", "quarantined", "failed")),
                         ("rows_written", written)])
    description = (f"{listing.matching} documents listed for {listing.report} ({listing.listed} rows in the "
                   f"listing), {listing.already_seen} seen before; this run: {count('loaded')} loaded, "
                   f"{count('skipped')} skipped, {count('quarantined')} quarantined, {count('failed')} failed, "
                   f"{written} rows written")
    rows = [{"doc id": o.item, "document": o.facts["name"],
             "published (UTC)": f"{o.facts['published_at_utc']:%Y-%m-%d %H:%M:%S}", "status": o.status,
             "rows read": o.rows_read, "rows written": o.rows_written, "rows replaced": o.facts["rows_replaced"],
             "ledger id": o.ledger_id, "reason": o.reason[:300]} for o in outcomes]
    if not rows:
        rows = [{"doc id": "", "document": "(nothing new)", "status": "", "reason": description}]
    log().info(description)
    return IngestReport(SOURCE, listing.report, list(outcomes), line,
                        f"ingest-ercot-{listing.report.replace('_', '-')}", description, rows, totals)


def failure_error(report: IngestReport) -> ErcotIngestError | None:
    """The error a run with failed documents ends with (after its report is published), or None."""
    failed = [o for o in report.outcomes if o.status == "failed"]
    if not failed:
        return None
    return ErcotIngestError(f"{len(failed)} of {len(report.outcomes)} ERCOT document(s) failed and will be retried "
                            f"by the next run: " + "; ".join(f"{o.item}: {o.reason}" for o in failed[:5]))


