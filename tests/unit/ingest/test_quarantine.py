"""Quarantine under retry: the kept copy is named by content, so a retried copy is a no-op; a moved file
whose copy is in place is a done move, not a missing file; nothing half-written is ever kept."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from gridflow import events
from gridflow.errors import ParseError
from gridflow.ingest.files import already_moved, open_ticket
from gridflow.ingest.quarantine import keep_copy, kept_path, moved_earlier, quarantine
from gridflow.warehouse.tables import ingest_ledger

DATASET = "meter_interval"
SOURCE = "meter_file_drop"
BAD = b"ESIID,USAGE_DATE,REVISION_DATE,USAGE_START_TIME\nnot,a,meter,file\n"


@dataclass
class World:
    engine: sa.Engine
    home: Path
    drop: Path
    sent: list[events.Event]


@pytest.fixture
def world(new_home) -> World:
    home = new_home("one")
    return World(home.engine, home.home, home.drop, new_home.sent)


def ledger(engine: sa.Engine) -> list[dict]:
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(sa.select(ingest_ledger).order_by(ingest_ledger.c.id))]


def kept_files(world: World) -> dict[str, bytes]:
    folder = world.home / "quarantine" / DATASET
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())} if folder.exists() else {}


def bad_file(world: World, name: str = "bad.csv", body: bytes = BAD) -> Path:
    path = world.drop / name
    path.write_bytes(body)
    return path


def test_kept_copy_is_named_by_content_and_a_retried_copy_is_a_no_op(world):
    path = bad_file(world)
    digest = hashlib.sha256(BAD).hexdigest()
    first = open_ticket(world.engine, str(path), DATASET, SOURCE)
    kept = quarantine(world.engine, DATASET, first.ledger_id, "bad", {}, name=path.name, path=path)
    assert kept == kept_path(DATASET, digest, path.name) and kept.name.startswith(digest[:16])
    stamp = kept.stat().st_mtime_ns

    retry = open_ticket(world.engine, str(path), DATASET, SOURCE)  # the retried task's own ledger row
    assert quarantine(world.engine, DATASET, retry.ledger_id, "bad", {}, name=path.name, path=path) == kept
    assert kept.stat().st_mtime_ns == stamp  # not written again
    assert kept_files(world) == {kept.name: BAD}
    assert path.read_bytes() == BAD  # a file named by the operator stays where it was
    assert [r["status"] for r in ledger(world.engine)] == ["quarantined", "quarantined"]


def test_a_retried_move_whose_file_is_already_moved_succeeds(world):
    path = bad_file(world)
    first = open_ticket(world.engine, str(path), DATASET, SOURCE)
    kept = quarantine(world.engine, DATASET, first.ledger_id, "bad", {}, name=path.name, path=path,
                      move=True, sha256=first.sha256)
    assert not path.exists() and kept.read_bytes() == BAD

    # The attempt failed after the move; its retry moves the same content again: done already.
    with world.engine.begin() as conn:
        from gridflow.warehouse import ledger as ledger_rows
        second = ledger_rows.start_ingest(conn, SOURCE, DATASET, str(path.resolve()), first.sha256)
    again = quarantine(world.engine, DATASET, second, "bad", {}, name=path.name, path=path, move=True,
                       sha256=first.sha256)
    assert again == kept and kept_files(world) == {kept.name: BAD}
    rows = ledger(world.engine)
    assert [r["status"] for r in rows] == ["quarantined", "quarantined"]
    assert {r["details"]["kept_at"] for r in rows} == {str(kept)}


def test_a_move_without_its_copy_is_a_missing_file(world):
    path = bad_file(world)
    ticket = open_ticket(world.engine, str(path), DATASET, SOURCE)
    path.unlink()
    with pytest.raises(ParseError, match="no such file"):
        quarantine(world.engine, DATASET, ticket.ledger_id, "bad", {}, name=path.name, path=path, move=True,
                   sha256=ticket.sha256)
    with pytest.raises(ParseError, match="no such file"):  # no digest given: nothing to match a copy with
        quarantine(world.engine, DATASET, ticket.ledger_id, "bad", {}, name=path.name, path=path, move=True)
    assert kept_files(world) == {}
    assert [r["status"] for r in ledger(world.engine)] == ["started"]


def test_same_name_other_content_is_kept_apart(world):
    one = bad_file(world, "IntervalData.csv", BAD)
    ticket = open_ticket(world.engine, str(one), DATASET, SOURCE)
    quarantine(world.engine, DATASET, ticket.ledger_id, "bad", {}, name=one.name, path=one, move=True)
    two = bad_file(world, "IntervalData.csv", BAD + b"x,y,z,w\n")  # the next day's file, same name
    ticket = open_ticket(world.engine, str(two), DATASET, SOURCE)
    quarantine(world.engine, DATASET, ticket.ledger_id, "bad", {}, name=two.name, path=two, move=True)
    assert sorted(kept_files(world).values()) == sorted([BAD, BAD + b"x,y,z,w\n"])


def test_moved_earlier_names_the_move_only_while_its_copy_holds_the_content(world):
    path = bad_file(world)
    other = bad_file(world, "never_moved.csv")
    assert moved_earlier(world.engine, DATASET, path) is None
    ticket = open_ticket(world.engine, str(path), DATASET, SOURCE)
    kept = quarantine(world.engine, DATASET, ticket.ledger_id, "line 2: not a meter file", {}, name=path.name,
                      path=path, move=True, sha256=ticket.sha256, rows_read=1)

    moved = moved_earlier(world.engine, DATASET, path)
    assert moved is not None and (moved.ledger_id, moved.kept_at) == (ticket.ledger_id, str(kept))
    outcome = already_moved(world.engine, DATASET, str(path))
    assert (outcome.status, outcome.ledger_id, outcome.rows_read) == ("quarantined", ticket.ledger_id, 1)
    assert outcome.reason.startswith("line 2: not a meter file") and str(kept) in outcome.reason
    assert moved_earlier(world.engine, DATASET, other) is None
    assert moved_earlier(world.engine, "pjm_load", path) is None

    kept.write_bytes(b"tampered")
    assert moved_earlier(world.engine, DATASET, path) is None
    kept.unlink()
    assert already_moved(world.engine, DATASET, str(path)) is None


def test_a_copy_cut_short_leaves_nothing_under_the_key(world, tmp_path):
    target = kept_path(DATASET, "0" * 64, "x.csv")
    with pytest.raises(IsADirectoryError):
        keep_copy(target, "0" * 64, path=tmp_path)  # a directory: reading it fails after the temp file opened
    assert not target.exists()
    assert list(target.parent.iterdir()) == []


def test_bytes_are_kept_by_content_once(world):
    first = open_ticket(world.engine, str(world.drop / "doc.zip"), DATASET, SOURCE, sha256="a" * 64)
    kept = quarantine(world.engine, DATASET, first.ledger_id, "bad zip", {}, name="doc.zip", data=BAD,
                      locator="https://example.invalid/doc")
    second = open_ticket(world.engine, str(world.drop / "doc.zip"), DATASET, SOURCE, sha256="a" * 64)
    assert quarantine(world.engine, DATASET, second.ledger_id, "bad zip", {}, name="doc.zip", data=BAD,
                      locator="https://example.invalid/doc") == kept
    assert kept_files(world) == {kept.name: BAD}
    assert [e.payload["locator"] for e in world.sent] == ["https://example.invalid/doc"] * 2
    assert all(e.event_id is not None for e in world.sent)
