"""The warehouse: every table gridflow writes, one write path per table, and its migrations.

SQLAlchemy Core on SQLite (embedded default) or PostgreSQL, with identical behaviour on both.
Schema changes go through the Alembic migrations in `migrations/`; call `engine.upgrade(engine)`
on start. All writes go through the modules of this package (never pandas `to_sql` or raw
drivers), so stored timestamps keep one format and upserts stay idempotent. Import the module
that owns a table (`loads`, `meters`, `markets`, `alerts`, `storm`, `audit`, `ledger`, ...).
"""
