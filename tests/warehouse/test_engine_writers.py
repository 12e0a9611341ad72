"""Concurrent writers on the embedded SQLite warehouse: a transaction that reads and then writes waits
its turn instead of failing with "database is locked", and readers are not held up by a writer (WAL).

Each writer has its own engine, as two processes would: SQLite locks the file between connections
of one process exactly as between processes. (PostgreSQL needs none of this: its write paths rely on
MVCC, upserts and advisory locks, tested with each table.)
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import Column, Engine, Integer, MetaData, String, Table, event, func, insert, select

from gridflow.warehouse.engine import SQLITE_BEGIN, make_engine

WRITERS = 4
TRANSACTIONS = 25
GENEROUS = 120  # seconds; only a hang reaches it

_metadata = MetaData()
counter = Table("writer_counter", _metadata, Column("n", Integer, primary_key=True), Column("writer", String(8)))


@pytest.fixture
def url_and_engine(tmp_path) -> Iterator[tuple[str, Engine]]:
    url = f"sqlite:///{tmp_path / 'warehouse.db'}"
    engine = make_engine(url)
    _metadata.create_all(engine)
    yield url, engine
    engine.dispose()


def _read_then_write(url: str, writer: str) -> None:
    """The ledger's pattern: look, then insert what was seen plus one, in one transaction."""
    own = make_engine(url)
    try:
        for _ in range(TRANSACTIONS):
            with own.begin() as conn:
                last = conn.execute(select(func.coalesce(func.max(counter.c.n), 0))).scalar_one()
                conn.execute(insert(counter).values(n=last + 1, writer=writer))
    finally:
        own.dispose()


def test_writers_that_read_first_take_turns_and_lose_nothing(url_and_engine):
    url, engine = url_and_engine
    with ThreadPoolExecutor(WRITERS) as pool:
        done = [pool.submit(_read_then_write, url, f"w{i}") for i in range(WRITERS)]
        for future in done:
            future.result(timeout=GENEROUS)  # a "database is locked" would be raised here
    with engine.connect() as conn:
        numbers = conn.execute(select(counter.c.n).order_by(counter.c.n)).scalars().all()
        per_writer = dict(conn.execute(select(counter.c.writer, func.count()).group_by(counter.c.writer)).all())
    # Serialized: every transaction saw the one before it, so the numbers run without gap or clash.
    assert numbers == list(range(1, WRITERS * TRANSACTIONS + 1))
    assert per_writer == {f"w{i}": TRANSACTIONS for i in range(WRITERS)}


def test_a_writer_waits_for_the_lock_held_by_another(url_and_engine):
    url, engine = url_and_engine
    holding, finished = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def second_writer() -> None:
        try:
            holding.wait(GENEROUS)
            _read_then_write(url, "second")
        except BaseException as exc:  # reported on the test's thread
            errors.append(exc)
        finally:
            finished.set()

    thread = threading.Thread(target=second_writer)
    thread.start()
    with engine.begin() as conn:
        conn.execute(insert(counter).values(n=1000, writer="first"))
        holding.set()
        # While this transaction is open the second writer can only wait: neither done nor failed.
        assert not finished.wait(1.0), errors
    thread.join(GENEROUS)
    assert not errors, errors
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).where(counter.c.writer == "second")).scalar_one() == TRANSACTIONS


def test_a_reader_is_not_held_up_by_an_open_write(url_and_engine):
    url, engine = url_and_engine
    with engine.begin() as conn:
        conn.execute(insert(counter).values(n=1, writer="committed"))
    reader = make_engine(url)
    try:
        with engine.begin() as writing:
            writing.execute(insert(counter).values(n=2, writer="uncommitted"))
            # A plain connection's statement begins a deferred read: it sees the last commit at once.
            with reader.connect() as conn:
                seen = conn.execute(select(counter.c.writer)).scalars().all()
            assert seen == ["committed"]
    finally:
        reader.dispose()


def test_sqlite_begin_modes(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'w.db'}")
    emitted: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _record(_conn, _cursor, statement, *_args):
        if statement.startswith("BEGIN"):
            emitted.append(statement)

    with engine.begin() as conn:
        conn.exec_driver_sql("SELECT 1")
    with engine.connect() as conn:
        conn.execute(select(1))
    with engine.connect() as conn, conn.begin():
        conn.execute(select(1))
    with engine.connect().execution_options(**{SQLITE_BEGIN: "DEFERRED"}) as conn, conn.begin():
        conn.execute(select(1))
    assert emitted == ["BEGIN IMMEDIATE", "BEGIN DEFERRED", "BEGIN IMMEDIATE", "BEGIN DEFERRED"]
    engine.dispose()
