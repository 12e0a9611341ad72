"""The stream's warehouse write on SQLite: first write wins per reading id, the stored row comes back,
and a redelivered or re-scored reading changes nothing. (PostgreSQL runs in the integration test.)"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from gridflow.streaming.messages import Score
from gridflow.streaming.sink import read_scores, write_scores
from gridflow.warehouse.tables import asset_health_score

T0 = datetime(2024, 5, 1, 6, 0, tzinfo=UTC)


def score(rid: str, index: float, version: str = "1", at: datetime = T0) -> Score:
    return Score(rid, f"A-{rid}", index, 50.0, index >= 50.0, "transformer_health", version, T0 - timedelta(hours=1), at)


def test_new_readings_are_stored_and_reported_new(engine):
    with engine.begin() as conn:
        stored = write_scores(conn, [score("r1", 10.0), score("r2", 70.0)], "nats://127.0.0.1:4222/readings")
    assert [(s.score.reading_id, s.new) for s in stored] == [("r1", True), ("r2", True)]
    with engine.connect() as conn:
        assert read_scores(conn) == [score("r1", 10.0), score("r2", 70.0)]  # instants round-trip as UTC
        assert conn.execute(select(asset_health_score.c.source).distinct()).scalar_one() == \
            "nats://127.0.0.1:4222/readings"


def test_first_write_wins_and_the_stored_row_comes_back(engine):
    with engine.begin() as conn:
        write_scores(conn, [score("r1", 10.0)], "src")
    # Redelivered after a hot swap: the new version's answer must not replace what was published.
    later = score("r1", 90.0, version="2", at=T0 + timedelta(minutes=5))
    with engine.begin() as conn:
        stored = write_scores(conn, [later, score("r3", 55.0)], "src")
    assert [(s.score, s.new) for s in stored] == [(score("r1", 10.0), False), (score("r3", 55.0), True)]
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(asset_health_score)).scalar_one() == 2
        assert read_scores(conn, ["r1"]) == [score("r1", 10.0)]


def test_a_reading_twice_in_one_batch_is_written_once(engine):
    with engine.begin() as conn:
        stored = write_scores(conn, [score("r1", 10.0), score("r1", 99.0)], "src")
    assert [(s.score.health_index, s.new) for s in stored] == [(10.0, True)]
    with engine.begin() as conn:
        assert write_scores(conn, [], "src") == []


def test_a_write_rolled_back_leaves_nothing(engine):
    with pytest.raises(RuntimeError), engine.begin() as conn:
        write_scores(conn, [score("r1", 10.0)], "src")
        raise RuntimeError("crash before commit")
    with engine.begin() as conn:
        assert write_scores(conn, [score("r1", 20.0)], "src")[0].new  # the retry stores it
