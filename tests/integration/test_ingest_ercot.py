"""The ingest-ercot flow on a real Prefect server against a fake ERCOT MIS (ReplayServer).

Documents are real 13101 (Actual System Load by Weather Zone) files: the real sample, and copies
with the OperDay shifted and the MW values scaled (see tests/unit/sources/ercot/mis_fakes.py).
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest
import sqlalchemy as sa

from gridflow.replay import ReplayServer, Reply
from gridflow.replay.ercot_mis import REAL_LOAD_CSV, load_doc, serve_mis, shifted_load_csv, zip_bytes
from tests.conftest import use_warehouse

pytestmark = pytest.mark.integration

REPORT = "actual_load_wz"
DAYS = [datetime(2023, 11, d) for d in (14, 15, 16, 17)]


@pytest.fixture
def fast_ercot(gridflow_env, monkeypatch):
    """Tight client retries so a failing download gives up in milliseconds."""
    from gridflow.config import reset_settings

    monkeypatch.setenv("GRIDFLOW_ERCOT__BACKOFF_SECONDS", "0.01")
    monkeypatch.setenv("GRIDFLOW_ERCOT__MAX_ATTEMPTS", "3")
    reset_settings()
    return gridflow_env


def four_docs() -> list:
    docs = [load_doc(str(500 + i), day, scale=1 + 0.01 * i) for i, day in enumerate(DAYS[:3])]
    docs.append(load_doc("503", DAYS[3], csv=REAL_LOAD_CSV.read_bytes()))  # the real file itself
    return docs


def snapshot() -> list[tuple]:
    from tasks.common import warehouse

    with warehouse().connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(
            "SELECT zone, interval_start_utc, interval_start_local, is_dst, load_mw FROM load_observation "
            "ORDER BY zone, interval_start_utc")).all()]


def normalized(rows: list[tuple]) -> list[tuple]:
    # SQLite and PostgreSQL return equal instants in different Python forms.
    return [(z, pd.Timestamp(u).tz_convert("UTC") if pd.Timestamp(u).tzinfo else pd.Timestamp(u).tz_localize("UTC"),
             pd.Timestamp(loc), bool(d), float(mw)) for z, u, loc, d, mw in rows]


def ledger_rows() -> list[dict]:
    from gridflow.warehouse.ledger import list_ingests
    from tasks.common import warehouse

    with warehouse().connect() as conn:
        return list_ingests(conn, "ercot_load", limit=500)


def document_count() -> int:
    from tasks.common import warehouse

    with warehouse().connect() as conn:
        return conn.execute(sa.text("SELECT count(*) FROM source_document")).scalar_one()


def test_run_then_rerun_loads_nothing_new(fast_ercot):
    from flows.ingest_ercot import ingest_ercot

    with ReplayServer() as server:
        serve_mis(server, 13101, four_docs())
        first = ingest_ercot(REPORT, base_url=server.base_url)
        assert (first.totals["listed"], first.count("loaded"), first.rows_written) == (4, 4, 4 * 216)
        once = snapshot()
        again = ingest_ercot(REPORT, base_url=server.base_url)
    assert (again.totals["listed"], again.totals["already_seen"], again.outcomes) == (4, 4, [])
    assert snapshot() == once and len(once) == 4 * 216
    # the real document's values, untouched: 11/17/2023 HE01 COAST at 06:00 UTC
    assert ("ERCOT_COAST", 10135.49) in {(r[0], r[4]) for r in once if str(r[1]).startswith("2023-11-17 06:00")}
    downloads = [r for r in server.requests if r.path.endswith("mirDownload")]
    assert len(downloads) == 4  # the xml twins and the second run downloaded nothing
    assert_artifact("ingest-ercot-actual-load-wz", "4 documents listed for actual_load_wz")


def assert_artifact(key: str, text: str) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    with get_client(sync_client=True) as client:
        found = client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key])))
    assert any(text in (a.description or "") for a in found), [a.description for a in found]


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_failed_download_then_rerun_equals_a_clean_run(fast_ercot, monkeypatch, tmp_path, request, backend):
    from flows.ingest_ercot import ingest_ercot
    from gridflow.ingest.ercot import ErcotIngestError

    docs = four_docs()
    with ReplayServer() as server:
        serve_mis(server, 13101, docs)
        use_warehouse(monkeypatch, f"sqlite:///{tmp_path / 'clean.db'}")
        ingest_ercot(REPORT, base_url=server.base_url)
        clean = normalized(snapshot())

    url = f"sqlite:///{tmp_path / 'faulty.db'}" if backend == "sqlite" else request.getfixturevalue("postgres_schema_url")
    use_warehouse(monkeypatch, url)
    with ReplayServer() as server:
        docs[2].replies = [Reply(500, "Internal Server Error")]  # the 3rd oldest document keeps failing
        serve_mis(server, 13101, docs)
        with pytest.raises(ErcotIngestError, match=r"1 of 4 ERCOT document\(s\) failed.*502: HttpError: "
                                                   r"ERCOT answered HTTP 500 .* on all 3 attempts"):
            ingest_ercot(REPORT, base_url=server.base_url)
        assert len(snapshot()) == 3 * 216  # documents 1, 2 (and 4) committed; 3 left nothing behind
        assert {r["status"] for r in ledger_rows()} == {"loaded"} and document_count() == 3

    with ReplayServer() as server:
        serve_mis(server, 13101, four_docs())  # healthy again
        rerun = ingest_ercot(REPORT, base_url=server.base_url)
    assert [d.item for d in rerun.outcomes] == ["502"] and rerun.count("loaded") == 1
    assert normalized(snapshot()) == clean
    assert len(ledger_rows()) == 4 and document_count() == 4


def test_republished_document_replaces_its_rows(fast_ercot):
    from flows.ingest_ercot import ingest_ercot
    from tasks.common import warehouse

    original = load_doc("700", DAYS[0], scale=1.0, published=datetime(2023, 11, 15, 5, 50))
    # Same constructed name (same publish stamp in the name), later PublishDate, corrected values,
    # and the last hour withdrawn: its 9 rows must disappear, not linger from the first version.
    corrected_csv = b"\n".join(shifted_load_csv(DAYS[0], scale=1.1).splitlines()[:-1]) + b"\n"
    corrected = load_doc("701", DAYS[0], csv=corrected_csv, published=datetime(2023, 11, 15, 5, 50))
    corrected.published_local = datetime(2023, 11, 15, 9, 15)
    assert corrected.name == original.name

    with ReplayServer() as server:
        serve_mis(server, 13101, [original])
        ingest_ercot(REPORT, base_url=server.base_url)
    assert len(snapshot()) == 216
    with ReplayServer() as server:
        serve_mis(server, 13101, [original, corrected])
        summary = ingest_ercot(REPORT, base_url=server.base_url)
    (outcome,) = summary.outcomes
    assert (outcome.item, outcome.status, outcome.facts["rows_replaced"], outcome.rows_written) == ("701", "loaded", 216, 207)
    rows = snapshot()
    assert len(rows) == 207
    coast = next(r for r in rows if r[0] == "ERCOT_COAST")
    assert coast[4] == pytest.approx(10135.49 * 1.1, abs=0.01)
    with warehouse().connect() as conn:
        docs = dict(conn.execute(sa.text("SELECT doc_id, superseded_by FROM source_document")).all())
        writers = {r[0] for r in conn.execute(sa.text("SELECT DISTINCT ingest_id FROM load_observation"))}
    assert docs == {"700": "701", "701": None}
    assert len(writers) == 1


def fall_back_csv(with_flag: bool = True) -> bytes:
    """A valid 25-hour fall-back day (11/05/2023) built from the real file's rows."""
    frame = pd.read_csv(REAL_LOAD_CSV, dtype=str)
    rows = pd.concat([frame.iloc[:2], frame.iloc[1:2], frame.iloc[2:]], ignore_index=True)
    rows["OperDay"] = "11/05/2023"
    rows["DSTFlag"] = ["N"] * 2 + ["Y"] + ["N"] * 22
    rows.loc[2, "COAST"] = "9900.00"  # the repeated hour is a different hour: different load
    rows.loc[2, "TOTAL"] = f"{float(rows.loc[2, 'TOTAL']) - 9.41:.2f}"
    if not with_flag:
        rows = rows.drop(columns="DSTFlag")
    return rows.to_csv(index=False).encode()


def test_malformed_documents_are_quarantined_and_valid_ones_still_load(fast_ercot, monkeypatch):
    from flows.ingest_ercot import ingest_ercot
    from gridflow.config import reset_settings
    from gridflow.ingest.ercot import ErcotIngestError

    monkeypatch.setenv("GRIDFLOW_ERCOT__MAX_CSV_BYTES", "100000")
    reset_settings()
    real = REAL_LOAD_CSV.read_bytes()
    lines = shifted_load_csv(datetime(2023, 11, 3)).splitlines()
    day = iter(datetime(2023, 10, d) for d in range(1, 32))
    zip_of = lambda data: zip_bytes({"r.csv": data})  # noqa: E731
    cases = {
        # name: (doc, expected status, expected text in the reason)
        "valid": (load_doc("801", next(day)), "loaded", "validated and loaded"),
        "BOM + CRLF": (load_doc("802", next(day), csv=b"\xef\xbb\xbf" + shifted_load_csv(datetime(2023, 10, 2))
                                .replace(b"\n", b"\r\n")), "loaded", "validated and loaded"),
        "exact duplicate rows": (load_doc("803", datetime(2023, 11, 3), csv=b"\n".join([*lines, lines[3]]) + b"\n"),
                                 "loaded", "dropped 1 exact duplicate row(s)"),
        "fall-back day, flagged": (load_doc("804", datetime(2023, 11, 5), csv=fall_back_csv()), "loaded",
                                   "validated and loaded"),
        "HTML page instead of ZIP": (load_doc("811", next(day), body=b"<!DOCTYPE html><html><title>Maintenance"
                                              b"</title></html>"), "quarantined",
                                     "ERCOT returned an HTML page instead of a ZIP: 'Maintenance'"),
        "truncated ZIP": (load_doc("812", next(day), body=zip_of(real)[:700]), "quarantined",
                          "truncated or corrupt ZIP"),
        "zip-slip member": (load_doc("813", next(day), body=zip_bytes({"../../evil.csv": real})), "quarantined",
                            "unsafe member name '../../evil.csv'"),
        "oversized ZIP (inflates past cap)": (load_doc("814", next(day), body=zip_of(b"0" * 200_000)), "quarantined",
                                              "above the cap of 100000"),
        "wrong CSV header": (load_doc("815", next(day), csv=real.replace(b"COAST", b"GULF")), "quarantined",
                             "wrong CSV header"),
        "DST repeated hour without flag": (load_doc("816", datetime(2022, 11, 6),
                                                    csv=fall_back_csv(with_flag=False).replace(b"11/05/2023", b"11/06/2022")),
                                           "quarantined", "DST repeated hour without flag"),
        "conflicting duplicate rows": (load_doc("817", next(day), csv=real + real.splitlines()[1].replace(b"10135.49", b"1.0")
                                                + b"\n"), "quarantined", "duplicate rows with different values"),
        "fails its suite (negative load)": (load_doc("818", next(day), csv=real.replace(b"10135.49", b"-5.00")),
                                            "quarantined", "expect_column_values_to_be_between on load_mw"),
        "404 download": (load_doc("821", next(day)), "failed", "HTTP 404"),
        "500 then 200": (load_doc("822", next(day)), "loaded", "validated and loaded"),
        "429 Retry-After then 200": (load_doc("823", next(day)), "loaded", "validated and loaded"),
    }
    docs = {name: c[0] for name, c in cases.items()}
    docs["404 download"].replies = [Reply(404, "gone")]
    ok = docs["500 then 200"].replies[0]
    docs["500 then 200"].replies = [Reply(500, "boom"), ok]
    ok = docs["429 Retry-After then 200"].replies[0]
    docs["429 Retry-After then 200"].replies = [Reply(429, "slow", {"Retry-After": "1"}), ok]

    with ReplayServer() as server:
        serve_mis(server, 13101, list(docs.values()))
        with pytest.raises(ErcotIngestError, match=r"1 of 15 ERCOT document\(s\) failed.*821: .*HTTP 404"):
            ingest_ercot(REPORT, base_url=server.base_url)

    ledger = {r["details"].get("doc_id") if r["details"] else None: r for r in ledger_rows()}
    for name, (doc, status, text) in cases.items():
        if status == "failed":
            assert doc.doc_id not in ledger, name  # nothing recorded: the next run retries it
            continue
        row = ledger[doc.doc_id]
        assert row["status"] == status, (name, row["reason"])
        if status == "quarantined":
            assert text in row["reason"], (name, row["reason"])
            assert row["details"]["kept_at"].endswith(doc.name), name
        elif text != "validated and loaded":
            assert text in row["reason"], (name, row["reason"])
    loaded = [n for n, c in cases.items() if c[1] == "loaded"]
    rows = snapshot()
    assert len(rows) == (len(loaded) - 1) * 216 + 25 * 9  # the fall-back day has 25 hours
    fall_back = [r for r in rows if r[0] == "ERCOT_COAST" and str(r[2]).startswith("2023-11-05 01:00")]
    assert [(str(r[1])[:16], r[3]) for r in fall_back] == [("2023-11-05 06:00", True), ("2023-11-05 07:00", False)]


def test_dam_spp_from_the_real_html_listing_with_a_point_filter(fast_ercot):
    from flows.ingest_ercot import ingest_ercot
    from gridflow.clients.ercot_mis import DOWNLOAD_PATH, JSON_LISTING_PATH
    from gridflow.replay.ercot_mis import serve_html_listing
    from tasks.common import warehouse
    from tests.fixtures.ercot.build_synthetic import dam_spp_day
    from tests.unit.sources.ercot.golden_io import FIXTURES

    hours = [(f"{h:02d}:00", "N") for h in range(1, 25)]
    # The real page lists three csv publications (07/27, 08/25, 08/26 2026); DAM is for the next day.
    delivery = {"1255232976": "07/28/2026", "1266561949": "08/26/2026", "1266957722": "08/27/2026"}
    with ReplayServer() as server:
        server.add(JSON_LISTING_PATH, Reply(404, "Not Found"))
        serve_html_listing(server, 12331, (FIXTURES / "ercot_mis_GetReports.do_listing_12331_DAM_SPP_excerpt.html")
                           .read_bytes())
        for doc_id, day in delivery.items():
            server.add(DOWNLOAD_PATH, Reply(200, zip_bytes({"spp.csv": dam_spp_day(day, hours).encode()})),
                       query={"doclookupId": doc_id})
        summary = ingest_ercot("dam_spp", base_url=server.base_url, settlement_points=["AEEC", "HB_HOUSTON"],
                               max_documents=2)
    assert [d.item for d in summary.outcomes] == ["1255232976", "1266561949"]  # oldest first, capped at 2
    with warehouse().connect() as conn:
        rows = conn.execute(sa.text("SELECT market, node, count(*) FROM market_price GROUP BY market, node "
                                    "ORDER BY node")).all()
        first = conn.execute(sa.text("SELECT interval_start_utc, is_dst FROM market_price "
                                     "ORDER BY interval_start_utc LIMIT 1")).one()
    assert [tuple(r) for r in rows] == [("ERCOT_DAM", "AEEC", 48), ("ERCOT_DAM", "HB_HOUSTON", 48)]
    assert str(first[0]).startswith("2026-07-28 05:00") and first[1]  # local midnight CDT


def zeros_zip(member: str, size: int, declare: int | None = None) -> bytes:
    """A ZIP bomb: `size` zero bytes deflated (~1000:1), written in 1 MB chunks; `declare` rewrites the
    member's uncompressed size in its local header and the central directory (a lying header)."""
    import io
    import struct
    import zipfile

    buffer = io.BytesIO()
    block = bytes(1 << 20)
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive, archive.open(member, "w") as handle:
        for _ in range(size // len(block)):
            handle.write(block)
    body = bytearray(buffer.getvalue())
    if declare is not None:
        struct.pack_into("<I", body, body.index(b"PK\x03\x04") + 22, declare)
        struct.pack_into("<I", body, body.index(b"PK\x01\x02") + 24, declare)
    return bytes(body)


def test_zip_bombs_are_quarantined_once_and_never_fetched_again(fast_ercot):
    """A member declaring ~420 MB (under the old 500 MB cap) and one whose header under-declares its
    420 MB: each is quarantined with its reason, nothing reaches the warehouse, the next run skips them."""
    from pathlib import Path

    from flows.ingest_ercot import ingest_ercot

    mb = 1024 * 1024
    member = "cdr.00013101.0000000000000000.20231019.055000.ACTUALSYSLOADWZNP6345.csv"
    declared_bomb = zeros_zip(member, 420 * mb)
    lying_bomb = zeros_zip(member, 420 * mb, declare=mb)
    assert len(declared_bomb) < mb and len(lying_bomb) < mb  # what the server sends
    valid = load_doc("901", datetime(2023, 10, 20))
    docs = [load_doc("902", datetime(2023, 10, 18), body=declared_bomb),
            load_doc("903", datetime(2023, 10, 19), body=lying_bomb), valid]

    with ReplayServer() as server:
        serve_mis(server, 13101, [valid])
        ingest_ercot(REPORT, base_url=server.base_url)
    alone = snapshot()
    assert len(alone) == 216 and len(ledger_rows()) == 1

    with ReplayServer() as server:
        serve_mis(server, 13101, docs)
        first = ingest_ercot(REPORT, base_url=server.base_url)  # no exception: quarantine is an outcome
        assert {o.item: o.status for o in first.outcomes} == {"902": "quarantined", "903": "quarantined"}
        assert snapshot() == alone  # the warehouse holds exactly what the valid document wrote
        ledger = {r["details"]["doc_id"]: r for r in ledger_rows() if r["status"] == "quarantined"}
        assert f"declares {420 * mb} uncompressed bytes, above the cap of {64 * mb}" in ledger["902"]["reason"]
        assert "CRC-32 mismatch in ZIP member" in ledger["903"]["reason"]
        assert "declares fewer bytes than it holds" in ledger["903"]["reason"]
        for doc_id, body in (("902", declared_bomb), ("903", lying_bomb)):
            kept = Path(ledger[doc_id]["details"]["kept_at"])
            assert kept.read_bytes() == body  # the operator can inspect what was sent
        with warehouse_conn() as conn:
            recorded = {r[0] for r in conn.execute(sa.text("SELECT doc_id FROM source_document"))}
        assert recorded == {"901", "902", "903"}

        again = ingest_ercot(REPORT, base_url=server.base_url)
        downloads = [r.query for r in server.requests if r.path.endswith("mirDownload")]
    assert again.outcomes == [] and again.totals["already_seen"] == 3
    assert sorted(q["doclookupId"] for q in downloads) == ["902", "903"]  # each bomb fetched once, ever
    assert snapshot() == alone


def warehouse_conn():
    from tasks.common import warehouse

    return warehouse().connect()


def test_a_download_over_the_cap_is_quarantined_once_and_never_fetched_again(fast_ercot, monkeypatch):
    import os
    from pathlib import Path

    from flows.ingest_ercot import ingest_ercot
    from gridflow.config import reset_settings

    monkeypatch.setenv("GRIDFLOW_ERCOT__MAX_ZIP_BYTES", "100000")
    reset_settings()
    huge = load_doc("911", datetime(2023, 10, 21), body=b"PK\x03\x04" + os.urandom(200_000))
    with ReplayServer() as server:
        serve_mis(server, 13101, [huge])
        first = ingest_ercot(REPORT, base_url=server.base_url)  # an outcome, not a failed run
        again = ingest_ercot(REPORT, base_url=server.base_url)
        downloads = [r for r in server.requests if r.path.endswith("mirDownload")]
    (outcome,) = first.outcomes
    assert outcome.status == "quarantined" and "above the cap of 100000" in outcome.reason
    (row,) = ledger_rows()
    assert row["status"] == "quarantined" and "above the cap of 100000" in row["reason"]
    assert "refused at the download cap and not kept" in Path(row["details"]["kept_at"]).read_text()
    assert again.outcomes == [] and len(downloads) == 1
    assert snapshot() == []
