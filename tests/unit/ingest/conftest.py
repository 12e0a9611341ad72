"""A fresh warehouse and gridflow home per test (SQLite, and PostgreSQL when reachable), with the events
the use cases emitted captured instead of sent."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from gridflow import events
from gridflow.warehouse.engine import make_engine, upgrade


@dataclass
class Home:
    """One gridflow home: its warehouse, its folder (quarantine inside) and a drop folder."""

    engine: sa.Engine
    home: Path
    drop: Path


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def new_home(request, tmp_path, monkeypatch) -> Iterator[Callable[[str], Home]]:
    """`new_home(name)` points the settings at a fresh home and warehouse (the test's dialect for the
    first, SQLite after it) and returns it; the last one made is in force. Events go to `new_home.sent`."""
    from gridflow import runtime
    from gridflow.config import reset_settings

    engines: list[sa.Engine] = []
    sent: list[events.Event] = []
    monkeypatch.setattr(events, "emit", sent.append)

    def make(name: str, dialect: str | None = None) -> Home:
        # One PostgreSQL schema per test: a second home of the test is on SQLite.
        on_postgres = (dialect or request.param) == "postgresql" and not engines
        url = (request.getfixturevalue("postgres_schema_url") if on_postgres
               else f"sqlite:///{tmp_path / name / 'w.db'}")
        monkeypatch.setenv("GRIDFLOW_HOME", str(tmp_path / name / "home"))
        monkeypatch.setenv("GRIDFLOW_WAREHOUSE_URL", url)
        reset_settings()
        runtime.reset()
        engine = make_engine(url)
        upgrade(engine)
        engines.append(engine)
        drop = tmp_path / name / "drop"
        drop.mkdir(parents=True)
        return Home(engine, tmp_path / name / "home", drop)

    make.sent = sent  # type: ignore[attr-defined]
    yield make
    for engine in engines:
        engine.dispose()
    runtime.reset()
    reset_settings()
