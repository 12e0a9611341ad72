"""source_document operations and re-publication row replacement, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest
import sqlalchemy as sa

from gridflow.sources.ercot import parse
from gridflow.warehouse import documents, ledger
from gridflow.warehouse.engine import make_engine, upgrade
from gridflow.warehouse.markets import write_market_prices
from gridflow.warehouse.tables import market_price
from tests.unit.sources.ercot.golden_io import FIXTURES

SPP = (FIXTURES / "dam_spp_12331_20250805_synthetic.csv").read_bytes()
T0 = datetime(2026, 8, 4, 17, 40, tzinfo=UTC)
T1 = datetime(2026, 8, 4, 19, 5, tzinfo=UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request, tmp_path):
    url = (f"sqlite:///{tmp_path / 'w.db'}" if request.param == "sqlite"
           else request.getfixturevalue("postgres_schema_url"))
    engine = make_engine(url)
    upgrade(engine)
    yield engine
    engine.dispose()


def _load(conn, frame, doc_id, published, previous_ids=()):
    ingest_id = ledger.start_ingest(conn, "ercot_mis", "ercot_dam_spp", f"doc {doc_id}", doc_id * 8)
    deleted, written = documents.replace_document_rows(
        conn, market_price, write_market_prices, frame, ingest_id, list(previous_ids))
    ledger.finish_ingest(conn, ingest_id, "loaded", rows_written=written)
    documents.record_document(conn, "ercot_mis", doc_id, "12331", "cdr.NAME", published, ingest_id)
    return ingest_id, deleted, written


def test_seen_latest_and_replacement(engine):
    frame = parse.parse_dam_spp(SPP, "spp").frame
    with engine.begin() as conn:
        first_id, deleted, written = _load(conn, frame, "100", T0)
    assert (deleted, written) == (0, 72)
    with engine.connect() as conn:
        assert documents.seen_document(conn, "ercot_mis", "100").ingest_id == first_id
        assert documents.seen_document(conn, "ercot_mis", "101") is None
        assert documents.latest_by_name(conn, "ercot_mis", "cdr.NAME").doc_id == "100"

    # The correction drops one settlement point and changes a price: the dropped rows must go.
    corrected = frame[frame.node != "HB_HOUSTON"].copy()
    corrected.loc[0, "price_usd_per_mwh"] = 99.0
    with engine.begin() as conn:
        _, deleted, written = _load(conn, corrected, "101", T1, previous_ids=[first_id])
        documents.mark_superseded(conn, "ercot_mis", ["100"], "101")
    assert (deleted, written) == (72, 48)
    with engine.connect() as conn:
        stored = pd.DataFrame(conn.execute(sa.select(market_price.c.node, market_price.c.price_usd_per_mwh)).all())
        assert len(stored) == 48 and "HB_HOUSTON" not in set(stored.node)
        assert 99.0 in set(stored.price_usd_per_mwh)
        assert documents.latest_by_name(conn, "ercot_mis", "cdr.NAME").doc_id == "101"
        assert documents.seen_document(conn, "ercot_mis", "100").superseded_by == "101"
        assert [d.doc_id for d in documents.documents_by_name(conn, "ercot_mis", "cdr.NAME")] == ["100", "101"]


def test_replacement_is_atomic(engine):
    frame = parse.parse_dam_spp(SPP, "spp").frame
    with engine.begin() as conn:
        first_id, _, _ = _load(conn, frame, "100", T0)
    bad = pd.concat([frame, frame.iloc[:1]])  # a repeated key makes the upsert refuse
    with engine.connect() as conn, pytest.raises(Exception, match="appear more than once"):
        documents.replace_document_rows(conn, market_price, write_market_prices, bad, first_id, [first_id])
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(market_price)).scalar_one() == 72


def test_recording_a_document_twice_fails(engine):
    with engine.begin() as conn:
        documents.record_document(conn, "ercot_mis", "7", "12331", "n", T0, None)
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        documents.record_document(conn, "ercot_mis", "7", "12331", "n", T0, None)
