"""The ingest-ercot flow on report 13060 (yearly DAM hub and load-zone prices) against the replay server.

The document is ERCOT's real 2021 workbook as shipped in data/prices/ercot_dam/ (Winter Storm Uri,
both DST days); beside it, a ZIP holding a truncated workbook.
"""

from __future__ import annotations

import io
import zipfile

import pandas as pd
import pytest
import sqlalchemy as sa

from gridflow.replay import ReplayServer
from gridflow.replay.ercot_mis import YEARLY_DAM_ARCHIVES, serve_mis, yearly_dam_doc, zip_bytes

pytestmark = pytest.mark.integration

REPORT = "dam_hub_prices_yearly"


def broken_2022() -> bytes:
    """The shipped 2022 ZIP with its workbook cut in half (the ZIP itself is sound)."""
    with zipfile.ZipFile(io.BytesIO((YEARLY_DAM_ARCHIVES / "rpt.00013060.0000000000000000.DAMLZHBSPP_2022.zip")
                                    .read_bytes())) as archive:
        name = archive.namelist()[0]
        data = archive.read(name)
    return zip_bytes({name: data[: len(data) // 2]})


def query(sql: str) -> list[tuple]:
    from tasks.common import warehouse

    with warehouse().connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(sql)).all()]


def test_real_year_lands_once_and_a_corrupt_workbook_is_quarantined(gridflow_env):
    from flows.ingest_ercot import ingest_ercot
    from gridflow.warehouse.ledger import list_ingests
    from tasks.common import warehouse

    docs = [yearly_dam_doc("1306002021", 2021), yearly_dam_doc("1306002022", 2022, body=broken_2022())]
    with ReplayServer() as server:
        serve_mis(server, 13060, docs, with_xml_twins=False)
        first = ingest_ercot(REPORT, base_url=server.base_url)
        counts = query("SELECT market, node, count(*) FROM market_price GROUP BY market, node")
        again = ingest_ercot(REPORT, base_url=server.base_url)
        downloads = [r for r in server.requests if r.path.endswith("mirDownload")]

    assert (first.totals["listed"], first.count("loaded"), first.count("quarantined"), first.rows_written) == (
        2, 1, 1, 131_400)
    assert len(counts) == 15 and {c[0] for c in counts} == {"ERCOT_DAM"} and {c[2] for c in counts} == {8760}
    # Idempotent: the second run lists both as seen, fetches nothing and writes nothing.
    assert (again.totals["already_seen"], again.outcomes, len(downloads)) == (2, [], 2)
    assert query("SELECT count(*) FROM market_price") == [(131_400,)]

    peak = query("SELECT node, interval_start_local, price_usd_per_mwh FROM market_price "
                 "ORDER BY price_usd_per_mwh DESC LIMIT 1")[0]
    assert peak[2] == 9052.53 and str(peak[1]).startswith("2021-02")  # Winter Storm Uri, past the suite's old cap
    north = query("SELECT interval_start_utc, interval_start_local, is_dst FROM market_price WHERE node = 'HB_NORTH' "
                  "ORDER BY interval_start_utc")
    fall_back = [(pd.Timestamp(u).strftime("%H:%M"), bool(d)) for u, local, d in north
                 if pd.Timestamp(local) == pd.Timestamp("2021-11-07 01:00")]
    assert fall_back == [("06:00", True), ("07:00", False)]  # the repeated hour: two UTC instants

    with warehouse().connect() as conn:
        ledger = {r["details"]["doc_id"]: r for r in list_ingests(conn, "ercot_dam_hub_prices_yearly", limit=10)}
    assert ledger["1306002021"]["status"] == "loaded"
    bad = ledger["1306002022"]
    assert bad["status"] == "quarantined" and "truncated or corrupt xlsx workbook" in bad["reason"]
    assert bad["details"]["kept_at"].endswith(docs[1].name)
