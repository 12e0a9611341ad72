"""Alembic environment of the warehouse.

`gridflow.warehouse.engine.upgrade` passes an open connection in `config.attributes["connection"]`
so the same code path serves SQLite files, in-memory SQLite and PostgreSQL. Without one (e.g. the
alembic CLI), the URL comes from `-x url=...` or the `sqlalchemy.url` option.
"""

from __future__ import annotations

from alembic import context

from gridflow.warehouse.engine import make_engine
from gridflow.warehouse.tables import metadata

config = context.config


def _url() -> str:
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option(
        "sqlalchemy.url"
    )
    if not url:
        raise RuntimeError("no warehouse URL: pass a connection, -x url=... or sqlalchemy.url")
    return url


def _configure(**kwargs: object) -> None:
    context.configure(
        target_metadata=metadata,
        # SQLite cannot ALTER most things; batch mode lets later migrations rebuild tables.
        render_as_batch=True,
        compare_type=True,
        **kwargs,
    )


def run_migrations_offline() -> None:
    """Emit SQL to stdout instead of executing it."""
    _configure(url=_url(), literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run migrations on the given connection, or on a fresh engine for the URL."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(_url())
    try:
        with engine.begin() as conn:
            _configure(connection=conn)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
