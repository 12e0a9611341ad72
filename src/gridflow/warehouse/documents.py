"""Source documents (e.g. ERCOT MIS DocIDs): which were ingested, and re-publications replacing rows.

A document is identified by (source, doc_id). A *re-publication* has the same constructed name and
a later publish time; its rows replace those its predecessors wrote, found by their ingest id.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Row, Table, delete, insert, select, update

from gridflow.warehouse.tables import source_document

# A table's one write path: (connection, frame, ingest id) -> rows written.
TableWriter = Callable[[Connection, pd.DataFrame, "int | None"], int]


def seen_document(conn: Connection, source: str, doc_id: str) -> Row[Any] | None:
    """The recorded document (any outcome: loaded, quarantined, superseded), or None if never seen."""
    t = source_document.c
    return conn.execute(select(source_document).where(t.source == source, t.doc_id == str(doc_id))).first()


def record_document(conn: Connection, source: str, doc_id: str, report: str, name: str,
                    published_at: datetime | None, ingest_id: int | None,
                    superseded_by: str | None = None) -> None:
    """Record that a document was handled by ledger entry `ingest_id`.

    A plain insert on purpose: two runs racing on one document make the second transaction fail
    instead of both believing they loaded it.
    """
    conn.execute(insert(source_document).values(
        source=source, doc_id=str(doc_id), report=str(report), name=name, published_at=published_at,
        ingest_id=ingest_id, superseded_by=superseded_by, updated_at=datetime.now(UTC),
    ))


def latest_by_name(conn: Connection, source: str, name: str) -> Row[Any] | None:
    """The most recently published recorded document with this constructed name, or None."""
    t = source_document.c
    stmt = (select(source_document).where(t.source == source, t.name == name)
            .order_by(t.published_at.desc(), t.doc_id.desc()).limit(1))
    return conn.execute(stmt).first()


def documents_by_name(conn: Connection, source: str, name: str) -> list[Row[Any]]:
    """Every recorded document with this constructed name, oldest publication first."""
    t = source_document.c
    stmt = select(source_document).where(t.source == source, t.name == name).order_by(t.published_at, t.doc_id)
    return list(conn.execute(stmt))


def mark_superseded(conn: Connection, source: str, doc_ids: Sequence[str], by_doc_id: str) -> None:
    """Note on older documents which document replaced them."""
    if not doc_ids:
        return
    t = source_document.c
    conn.execute(update(source_document).where(t.source == source, t.doc_id.in_([str(d) for d in doc_ids]))
                 .values(superseded_by=str(by_doc_id), updated_at=datetime.now(UTC)))


def replace_document_rows(conn: Connection, table: Table, write: TableWriter, frame: pd.DataFrame,
                          ingest_id: int | None, old_ingest_ids: Sequence[int]) -> tuple[int, int]:
    """Delete the rows the superseded documents' ingests wrote to `table`, then write `frame` with
    the table's own write path `write` (e.g. `loads.write_load_observations`).

    Both steps run in one transaction (the caller's, if one is open), so readers never see the
    day half-replaced. Returns (rows deleted, rows written).
    """
    if conn.in_transaction():
        return _replace(conn, table, write, frame, ingest_id, old_ingest_ids)
    with conn.begin():
        return _replace(conn, table, write, frame, ingest_id, old_ingest_ids)


def _replace(conn: Connection, table: Table, write: TableWriter, frame: pd.DataFrame, ingest_id: int | None,
             old_ingest_ids: Sequence[int]) -> tuple[int, int]:
    ids = sorted({int(i) for i in old_ingest_ids if i is not None})
    deleted = 0
    if ids:
        deleted = conn.execute(delete(table).where(table.c.ingest_id.in_(ids))).rowcount or 0
    written = write(conn, frame, ingest_id)
    return int(deleted), int(written)
