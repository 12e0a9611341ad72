"""Writing an area's outage predictions on SQLite and PostgreSQL (the COPY path with its key's
constant columns patched in): every row with its key, once, whatever the number of writes."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
import sqlalchemy as sa

from gridflow.warehouse import storm as ws

CHAIN = "urn:oid:2.49.0.1.840.0.4a1c7a3c9b3f0e1d2c3b4a5968778695a4b3c2d1.001.1"


def _scores(n: int) -> pd.DataFrame:
    # More distinct ids than the COPY encoder's per-value threshold, with one id of another width.
    ids = [f"TX-{i:07d}" for i in range(n - 1)] + ["TX-Ω-1"]
    return pd.DataFrame({"asset_id": ids, "probability": np.random.default_rng(3).random(n)})


def test_a_large_area_is_stored_once_with_its_key(db):
    scores = _scores(4_000)
    scored_at = datetime(2026, 12, 7, 21, 0, 5, 123456, tzinfo=UTC)
    with db.begin() as conn:
        assert ws.write_predictions(conn, CHAIN, 2, "7", scores, scored_at=scored_at) == len(scores)
    with db.begin() as conn:  # a retried task writes the same scores again: nothing changes
        assert ws.write_predictions(conn, CHAIN, 2, "7", scores.sample(frac=1, random_state=1)) == 0
    with db.connect() as conn:
        stored = ws.read_predictions(conn, CHAIN, 2, "7")
        keys = conn.execute(sa.text(
            "SELECT chain_id, alert_version, model_version, count(*), min(scored_at), max(scored_at) "
            "FROM outage_prediction GROUP BY chain_id, alert_version, model_version")).all()
    expected = scores.set_index("asset_id")["probability"]
    assert sorted(stored["asset_id"]) == sorted(scores["asset_id"])
    np.testing.assert_array_equal(stored.set_index("asset_id")["probability"].reindex(expected.index).to_numpy(),
                                  expected.to_numpy())
    ((chain, version, model, count, first, last),) = keys
    assert (chain, version, model, count) == (CHAIN, 2, "7", len(scores))
    assert first == last
    assert pd.Timestamp(first).replace(tzinfo=None) == scored_at.replace(tzinfo=None)
