"""Engines for the warehouse URL and schema migrations to head."""

from __future__ import annotations

import json
import math
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url

MIGRATIONS_DIR = Path(__file__).parent / "migrations"

# How long a writer waits for another process's write transaction (one file, one chunk) to end.
# Generous on purpose: two ingests at once take turns; a wait is not an error.
SQLITE_BUSY_TIMEOUT_MS = 600_000

# Any constant works; it only has to be the same for every process migrating this database.
_PG_MIGRATION_LOCK = 0x67726964666C6F77  # "gridflow"

# Execution option read by the SQLite "begin" hook: "DEFERRED", "IMMEDIATE" or "EXCLUSIVE". Unset,
# an explicit transaction (`engine.begin()`, `conn.begin()`) is IMMEDIATE and an implicit one (a
# statement on a plain `engine.connect()`) DEFERRED; see `_install_sqlite_hooks`.
SQLITE_BEGIN = "sqlite_begin"

# Connections whose next transaction is begun implicitly by a statement (reads on `engine.connect()`).
_IMPLICIT_BEGIN = "gridflow_implicit_begin"


def _json_default(value: Any) -> Any:
    # Expectation results and metrics often carry numpy scalars, timestamps or Decimals.
    if hasattr(value, "item") and callable(value.item):
        return value.item()
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    return str(value)


def _json_clean(value: Any) -> Any:
    # NaN/Infinity are not JSON: PostgreSQL rejects them, so store null everywhere.
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _json_clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_clean(v) for v in value]
    return value


def json_dumps(value: Any) -> str:
    """Serialize JSON columns, tolerating numpy/pandas scalars and non-finite floats."""
    return json.dumps(
        _json_clean(json.loads(json.dumps(value, default=_json_default))), allow_nan=False
    )


def _install_sqlite_hooks(engine: Engine) -> None:
    """WAL, foreign keys, a long busy timeout, and BEGIN IMMEDIATE for explicit transactions.

    SQLite lets one writer in at a time. A DEFERRED transaction that reads and then writes (open a
    ledger row after looking up the content; upsert after probing) cannot wait for the write lock:
    SQLite answers "database is locked" at once, whatever the busy timeout, because its snapshot may
    already be stale. So every explicit transaction takes the write lock when it begins (and waits
    for it, up to the busy timeout); statements on a plain connection stay DEFERRED readers, which
    WAL lets run next to a writer. (`exec_driver_sql` sends no before_execute event, so on a plain
    connection it begins IMMEDIATE: safe, only not concurrent.)
    """
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take BEGIN away from the sqlite3 driver, which skips it for SELECT and DDL; the
        # "begin" hook below emits it, so DDL and reads are transactional like on PostgreSQL.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            # WAL lets readers (dashboards, training) proceed while an ingest writes.
            cursor.execute("PRAGMA journal_mode=WAL")
        finally:
            cursor.close()

    @event.listens_for(engine, "before_execute")
    def _on_execute(conn: Connection, *_args: Any) -> None:
        # Fires before SQLAlchemy's autobegin: outside a transaction, the coming BEGIN is implicit.
        if not conn.in_transaction():
            conn.info[_IMPLICIT_BEGIN] = True

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        implicit = conn.info.pop(_IMPLICIT_BEGIN, False)
        options = conn.get_execution_options()
        if options.get("isolation_level") == "AUTOCOMMIT":
            return
        mode = str(options.get(SQLITE_BEGIN, "DEFERRED" if implicit else "IMMEDIATE")).upper()
        if mode not in {"DEFERRED", "IMMEDIATE", "EXCLUSIVE"}:
            raise ValueError(f"{SQLITE_BEGIN} must be DEFERRED, IMMEDIATE or EXCLUSIVE, not {mode}")
        conn.exec_driver_sql(f"BEGIN {mode}")

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        # A statement that failed before it began a transaction leaves the mark; the next user of
        # this pooled connection must not inherit it.
        if record is not None:
            record.info.pop(_IMPLICIT_BEGIN, None)


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an Engine for `url`: SQLite gets WAL, foreign keys, a long busy timeout and BEGIN
    IMMEDIATE for explicit transactions (its folder is created); PostgreSQL gets pre-ping. Extra
    keyword arguments go to `create_engine`."""
    sa_url = make_url(url)
    backend = sa_url.get_backend_name()
    kwargs.setdefault("json_serializer", json_dumps)
    if backend == "sqlite":
        database = sa_url.database or ""
        in_memory = database in ("", ":memory:") or database.startswith("file::memory:")
        if not in_memory and not sa_url.query.get("uri"):
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(sa_url, **kwargs)
        _install_sqlite_hooks(engine)
        return engine
    if backend == "postgresql":
        kwargs.setdefault("pool_pre_ping", True)
    return create_engine(sa_url, **kwargs)


def alembic_config() -> Config:
    """Alembic configuration pointing at the migrations shipped inside this package."""
    config = Config()
    # ConfigParser interpolation would choke on a '%' in the install path.
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    return config


def _upgrade_on(connection: Connection, revision: str) -> None:
    if not connection.in_transaction():
        # Alembic would commit a transaction it began itself; this one is the caller's to commit.
        connection.begin()
    if connection.dialect.name == "postgresql":
        # Serializes concurrent starts; released at commit.
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK})
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


def upgrade(engine_or_url: Engine | Connection | str, revision: str = "head") -> None:
    """Migrate the warehouse schema to `revision` (default head); a no-op when already there.

    Safe to call on every start and from concurrent processes. A Connection is migrated inside
    its (possibly new) transaction, which the caller commits; an Engine or URL gets its own
    transaction, committed on success.
    """
    if isinstance(engine_or_url, Connection):
        _upgrade_on(engine_or_url, revision)
        return
    owned = isinstance(engine_or_url, str)
    engine = make_engine(engine_or_url) if owned else engine_or_url
    try:
        # IMMEDIATE takes SQLite's write lock up front, so two starting processes queue
        # instead of both seeing "no tables" and racing to create them.
        with engine.connect().execution_options(**{SQLITE_BEGIN: "IMMEDIATE"}) as conn, conn.begin():
            _upgrade_on(conn, revision)
    finally:
        if owned:
            engine.dispose()
