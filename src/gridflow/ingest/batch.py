"""`load_batch`: a batch's rows, its ledger row, its source document and its watermark, in one transaction.

A crash halfway leaves neither rows nor a `loaded` ledger entry, nor a document marked ingested,
nor a watermark claiming rows that were not committed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Table
from sqlalchemy.engine import Engine

from gridflow.ingest.contract import Parsed
from gridflow.warehouse import documents, ledger
from gridflow.warehouse.documents import TableWriter
from gridflow.warehouse.watermarks import set_watermark


@dataclass(frozen=True)
class Entry:
    """A batch's ledger entry: already open (`ledger_id`), or opened inside the load's transaction."""

    source: str
    dataset: str
    locator: str
    sha256: str
    ledger_id: int | None = None


@dataclass(frozen=True)
class Document:
    """A source document the batch came from; its rows replace those of older publications of `name`."""

    doc_id: str
    report: str
    name: str
    published_at: datetime
    table: Table  # where older publications' rows are deleted from


@dataclass(frozen=True)
class Watermark:
    """Where the stream's watermark moves once the batch commits."""

    stream: str
    covered_utc: datetime
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Loaded:
    """What `load_batch` committed."""

    status: str  # loaded | skipped (same content already loaded)
    ledger_id: int
    rows_written: int
    rows_replaced: int
    issues: list[str]
    reason: str
    watermark_after: datetime | None = None


def load_batch(engine: Engine, entry: Entry, write: TableWriter, parsed: Parsed, *, rows: Any = None,
               details: dict[str, Any] | None = None, detail_issues: int | None = None,
               skip_loaded: bool = False, document: Document | None = None,
               watermark: Watermark | None = None) -> Loaded:
    """Write `parsed` (or its prepared `rows`) with the table's write path, close the ledger row,
    record the document and move the watermark, all in one transaction.

    `skip_loaded` records a batch whose content is already loaded as skipped (rows untouched);
    `detail_issues` caps the issues copied into the ledger details.
    """
    issues = list(parsed.issues)
    with engine.begin() as conn:
        ledger_id = entry.ledger_id
        if ledger_id is None:
            ledger_id = ledger.start_ingest(conn, entry.source, entry.dataset, entry.locator, entry.sha256)
        previous = ledger.find_loaded(conn, entry.dataset, entry.sha256) if skip_loaded else None
        replaced = 0
        older: list[Any] = []
        if previous is not None:
            status, written, reason = "skipped", 0, f"same content already loaded by ledger id {previous.id}"
        else:
            batch = parsed.frame if rows is None else rows
            if document is None:
                written = write(conn, batch, ledger_id)
            else:
                older = [d for d in documents.documents_by_name(conn, entry.source, document.name)
                         if d.published_at is None or d.published_at <= document.published_at]
                replaced, written = documents.replace_document_rows(
                    conn, document.table, write, batch, ledger_id, [d.ingest_id for d in older])
                if older:
                    issues.append(f"re-publication: replaced {replaced} row(s) of document(s) "
                                  f"{', '.join(str(d.doc_id) for d in older)}")
            status, reason = "loaded", "; ".join(issues)
        kept = issues if detail_issues is None else issues[:detail_issues]
        ledger.finish_ingest(conn, ledger_id, status, rows_read=parsed.rows_read, rows_written=written,
                             reason=reason or None, details={**(details or {}), "issues": kept})
        if document is not None:
            documents.record_document(conn, entry.source, document.doc_id, document.report, document.name,
                                      document.published_at, ledger_id)
            documents.mark_superseded(conn, entry.source, [str(d.doc_id) for d in older], document.doc_id)
        after = None
        if watermark is not None:
            after = set_watermark(conn, entry.source, watermark.stream, watermark.covered_utc,
                                  {"ledger_id": ledger_id, **watermark.details})
    return Loaded(status, ledger_id, written, replaced, issues, reason, after)
