"""Column types shared by the warehouse tables.

Both types store datetimes on SQLite as text in SQLAlchemy's own format
(`2026-01-01 00:00:00.000000`). Every write goes through these types (never pandas `to_sql` or raw
sqlite3, which write `2026-01-01 00:00:00`), so equal instants are equal text and key conflicts
are detected.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.types import DateTime, TypeDecorator, TypeEngine


class _SQLiteDateTime(sqlite.DATETIME):
    """SQLite DATETIME whose bind step uses C `isoformat` for datetimes.

    The text is identical to SQLAlchemy's default storage format (a test pins this); it only
    avoids a dict-formatting call per value, which dominated bulk upserts.
    """

    def bind_processor(self, dialect: Dialect) -> Any:
        fallback = super().bind_processor(dialect)

        def process(value: Any) -> Any:
            if type(value) is datetime:
                return value.isoformat(" ", "microseconds")
            return fallback(value) if fallback else value

        return process


def _to_python(value: Any) -> Any:
    # pd.Timestamp is a datetime subclass whose extra behaviour drivers do not need.
    if type(value) is not datetime and hasattr(value, "to_pydatetime"):
        return value.to_pydatetime()
    return value


class UTCDateTime(TypeDecorator[datetime]):
    """An instant: accepts only tz-aware datetimes, always returns tz-aware UTC datetimes.

    PostgreSQL stores `timestamptz`; SQLite stores the naive UTC wall clock as text.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        """timestamptz on PostgreSQL, naive-UTC text on SQLite."""
        if dialect.name == "postgresql":
            return dialect.type_descriptor(DateTime(timezone=True))
        if dialect.name == "sqlite":
            return _SQLiteDateTime()
        return dialect.type_descriptor(DateTime(timezone=False))

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        """Reject naive values; convert to UTC; drop tzinfo where the column cannot hold it."""
        if value is None:
            return None
        value = _to_python(value)
        if not isinstance(value, datetime):
            raise TypeError(f"UTCDateTime expects a datetime, got {type(value).__name__}: {value!r}")
        tz = value.tzinfo
        if tz is not UTC:
            if tz is None or value.utcoffset() is None:
                raise ValueError(
                    f"UTCDateTime refuses naive datetime {value.isoformat()}: attach a time "
                    "zone (e.g. tzinfo=datetime.UTC) so the instant is unambiguous"
                )
            value = value.astimezone(UTC)
        if dialect.name == "postgresql":
            return value
        return value.replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        """Always hand back an aware UTC datetime."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class WallClockDateTime(TypeDecorator[datetime]):
    """A naive local wall-clock time (e.g. market time); refuses tz-aware datetimes.

    Refusing aware values matters: PostgreSQL would silently shift them by the session time zone
    while SQLite would drop the offset, so the two backends would store different wall clocks.
    """

    impl = DateTime(timezone=False)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        """`timestamp without time zone` on PostgreSQL, text on SQLite."""
        if dialect.name == "sqlite":
            return _SQLiteDateTime()
        return dialect.type_descriptor(DateTime(timezone=False))

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        """Pass naive datetimes through; reject aware ones."""
        if value is None:
            return None
        value = _to_python(value)
        if not isinstance(value, datetime):
            raise TypeError(
                f"WallClockDateTime expects a datetime, got {type(value).__name__}: {value!r}"
            )
        if value.tzinfo is not None:
            raise ValueError(
                f"WallClockDateTime refuses tz-aware datetime {value.isoformat()}: store the "
                "local wall clock without tzinfo (e.g. .tz_localize(None))"
            )
        return value
