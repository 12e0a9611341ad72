"""Warehouse fixtures: every test runs on SQLite (a tmp file) and on PostgreSQL (a fresh schema).

PostgreSQL comes from GRIDFLOW_TEST_POSTGRES_URL (default: the local trust-auth server). When it is
unreachable the PostgreSQL cases are skipped, or fail when CI is set so CI cannot go green
without them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from gridflow.warehouse.engine import make_engine, upgrade

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _postgres_url() -> str:
    return os.environ.get("GRIDFLOW_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"PostgreSQL is required in CI: {reason}")
    pytest.skip(f"PostgreSQL unavailable: {reason}")


@pytest.fixture(scope="session")
def postgres_admin() -> Iterator[Engine]:
    """An engine on the test database, used only to create and drop per-test schemas."""
    engine = make_engine(_postgres_url(), connect_args={"connect_timeout": 5})
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # any connection failure means "no server here"
        engine.dispose()
        _unavailable(f"{make_url(_postgres_url()).render_as_string()}: {exc}")
    yield engine
    engine.dispose()


def _postgres_engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    admin: Engine = request.getfixturevalue("postgres_admin")
    schema = f"t_{uuid.uuid4().hex[:16]}"
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    # search_path makes the schema the default for every object, including alembic_version.
    url = make_url(_postgres_url()).update_query_dict({"options": f"-csearch_path={schema}"})
    engine = make_engine(url.render_as_string(hide_password=False))
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param("postgresql", marks=[pytest.mark.postgres, pytest.mark.integration]),
    ]
)
def engine(request: pytest.FixtureRequest, tmp_path) -> Iterator[Engine]:
    """A fresh, unmigrated warehouse engine on each dialect."""
    if request.param == "sqlite":
        eng = make_engine(f"sqlite:///{tmp_path / 'db' / 'warehouse.db'}")
        yield eng
        eng.dispose()
    else:
        yield from _postgres_engine(request)


@pytest.fixture
def db(engine: Engine) -> Engine:
    """The same engine, migrated to head."""
    upgrade(engine)
    return engine


@pytest.fixture
def make_load_frame():
    """Factory of canonical load frames: `make_load_frame(zones, start, hours, seed)`."""
    import numpy as np
    import pandas as pd

    from gridflow import frames

    def build(
        zones: tuple[str, ...] = ("PJME",),
        start: str = "2025-01-01 00:00",
        hours: int = 48,
        seed: int = 0,
        tz: str = frames.PJM_TZ,
    ) -> pd.DataFrame:
        rng = np.random.default_rng(seed)
        utc = pd.date_range(start, periods=hours, freq="h", tz="UTC").as_unit("ns")
        local = utc.tz_convert(tz)
        dst = np.array([bool(ts.dst()) for ts in local], dtype=bool)
        parts = [
            pd.DataFrame(
                {
                    frames.ZONE: pd.array([zone] * hours, dtype="string"),
                    frames.INTERVAL_START_UTC: utc,
                    frames.INTERVAL_START_LOCAL: local.tz_localize(None),
                    frames.IS_DST: dst,
                    frames.LOAD_MW: rng.uniform(1_000, 50_000, hours).round(3),
                }
            )
            for zone in zones
        ]
        return pd.concat(parts, ignore_index=True)[frames.LOAD_COLUMNS]

    return build
