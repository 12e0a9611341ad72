"""The ingest flow on both warehouse dialects: re-ingesting changes nothing, overlaps upsert."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.conftest import write_pjme_excerpt

pytestmark = pytest.mark.integration


def snapshot(engine) -> list[tuple]:
    with engine.connect() as conn:
        return conn.execute(sa.text(
            "SELECT zone, interval_start_utc, interval_start_local, is_dst, load_mw FROM load_observation "
            "ORDER BY zone, interval_start_utc")).all()


def test_reingest_and_overlap_never_duplicate(warehouse_url, tmp_path):
    from flows.ingest_pjm_load import ingest_pjm_load
    from tasks.common import warehouse

    first = write_pjme_excerpt(tmp_path / "a.csv", "2014-10-01", "2014-12-01")  # contains a fall-back day
    overlap = write_pjme_excerpt(tmp_path / "b.csv", "2014-11-15", "2015-01-01")

    assert ingest_pjm_load(str(first)).status == "loaded"
    once = snapshot(warehouse())
    assert ingest_pjm_load(str(first)).status == "skipped"
    # The same content under another name is recognised by its hash, not its name.
    renamed = tmp_path / "renamed.csv"
    renamed.write_bytes(first.read_bytes())
    assert ingest_pjm_load(str(renamed)).status == "skipped"
    assert snapshot(warehouse()) == once

    assert ingest_pjm_load(str(overlap)).status == "loaded"
    both = snapshot(warehouse())
    keys = [(row[0], row[1]) for row in both]
    assert len(keys) == len(set(keys))
    fall_back = [row for row in both if str(row[2]).startswith("2014-11-02 01:00")]
    assert [row[3] for row in fall_back] == [True, False]  # EDT then EST, both kept
