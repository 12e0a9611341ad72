"""Idempotent bulk writes of pandas frames: the warehouse's one write path.

Statements are SQLAlchemy Core `insert(...).on_conflict_do_update(...)` on both dialects, and every
value is bound exactly as its column type's bind step would bind it (so `UTCDateTime` rules hold
everywhere; `gridflow.warehouse.binding`):

- SQLite: the compiled statement is run with the driver's executemany in batches.
- PostgreSQL: binary COPY into a temporary table (`gridflow.warehouse.pg_copy`), then one
  `INSERT ... SELECT ... ON CONFLICT DO UPDATE`; psycopg's row-by-row executemany was several
  times slower. What remains is PostgreSQL's own work for the INSERT (index maintenance,
  foreign-key checks).

Callers that know no key is stored yet append with `pg_copy.copy_frame` instead.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Table, select
from sqlalchemy.dialects import postgresql, sqlite

from gridflow.errors import GridflowError
from gridflow.warehouse import binding, pg_copy

# Large enough to amortize statement overhead, small enough to keep each batch's memory modest.
BATCH_SIZE = 10_000
# (target table, the proposed row as `excluded`) -> SQL condition for updating an existing row.
UpdateWhere = Callable[[Table, Any], Any]

_SHOW_DUPLICATES = 5

# SQLAlchemy memoizes cursor.rowcount only for UPDATE/DELETE unless asked.
_ROWCOUNT = {"preserve_rowcount": True}


class DuplicateKeyError(GridflowError, ValueError):
    """A frame holds the same key more than once, so an upsert cannot decide which row wins."""

    def __init__(
        self, table: str, key: Sequence[str], duplicates: list[tuple[Any, ...]]
    ) -> None:
        self.table = table
        self.key = list(key)
        self.duplicates = duplicates
        shown = "; ".join(repr(d) for d in duplicates[:_SHOW_DUPLICATES])
        extra = len(duplicates) - _SHOW_DUPLICATES
        more = f" (and {extra} more)" if extra > 0 else ""
        super().__init__(
            f"{len(duplicates)} key(s) {tuple(self.key)} appear more than once in the frame for "
            f"table {table!r}: {shown}{more}; deduplicate the frame before writing"
        )


def _check_duplicates(table: Table, frame: pd.DataFrame, key: list[str]) -> None:
    # PostgreSQL would fail with "ON CONFLICT DO UPDATE command cannot affect row a second time"
    # and SQLite would silently keep the last row; neither tells the caller which keys clash.
    dup_mask = frame.duplicated(subset=key, keep="first")
    if not dup_mask.any():
        return
    dups = frame.loc[dup_mask, key].drop_duplicates()
    raise DuplicateKeyError(table.name, key, list(dups.itertuples(index=False, name=None)))


def _validate(table: Table, frame: pd.DataFrame, key: list[str], update: list[str]) -> None:
    columns = list(frame.columns)
    binding.check_columns(table, frame)
    missing = [k for k in key if k not in columns]
    if not key or missing:
        raise ValueError(f"frame for {table.name!r} lacks key column(s) {missing or key}")
    bad_update = [c for c in update if c not in columns or c in key]
    if bad_update:
        raise ValueError(f"update_columns {bad_update} must be non-key columns of the frame")


def _sqlite_values(kind: str | None, series: pd.Series) -> list[Any] | None:
    """Column values exactly as the type's bind step would produce them, or None (per value)."""
    if kind == binding.NULL:
        return [None] * len(series)
    if kind in (binding.INSTANT, binding.WALL_CLOCK):
        us = binding.datetime_us(series)
        if us is None:
            return None
        # Repeated instants (a batch's `updated_at`, several meters' intervals) are formatted once.
        codes, uniques = pd.factorize(us)
        # `YYYY-MM-DDTHH:MM:SS.ffffff` -> the `_SQLiteDateTime` text (space separator).
        text = np.datetime_as_string(uniques.view("datetime64[us]"), unit="us").astype("U26")
        text.view(np.uint32).reshape(-1, 26)[:, 10] = ord(" ")
        values = text.astype(object)[codes].tolist()
    elif kind == binding.BOOL:
        values = binding.numbers(series, "int64")[0].tolist()  # Boolean binds int on SQLite
    elif kind == binding.INT:
        if isinstance(series.dtype, np.dtype):
            values = series.to_numpy().tolist()  # exact Python ints, uint64 included
        else:
            values = series.to_numpy(dtype=object, na_value=None).tolist()
    elif kind == binding.FLOAT:
        values = binding.numbers(series, "float64")[0].tolist()
    elif kind == binding.STRING:
        coded = binding.string_codes(series)
        if coded is None:
            return None
        codes, uniques = coded
        lookup = np.array([*uniques, None], dtype=object)
        return lookup[codes].tolist()  # code -1 picks the trailing None
    else:
        return None
    mask = binding.missing(series)
    if mask.any():
        for i in np.flatnonzero(mask).tolist():
            values[i] = None
    return values


def _sqlite_upsert(
    conn: Connection,
    table: Table,
    frame: pd.DataFrame,
    columns: list[str],
    key: list[str],
    update_columns: list[str],
    batch_size: int,
    update_where: UpdateWhere | None = None,
) -> int:
    stmt = sqlite.insert(table)
    if update_columns:
        stmt = stmt.on_conflict_do_update(
            index_elements=[table.c[k] for k in key],
            set_={c: stmt.excluded[c] for c in update_columns},
            where=None if update_where is None else update_where(table, stmt.excluded),
        )
    else:
        stmt = stmt.on_conflict_do_nothing(index_elements=[table.c[k] for k in key])
    compiled = stmt.compile(dialect=conn.dialect, column_keys=columns)
    order = list(compiled.positiontup or [])
    if sorted(order) != sorted(columns):
        raise ValueError(
            f"cannot bulk-upsert {table.name!r}: statement parameters {order} differ from the "
            f"frame columns {columns} (client-side column defaults are not supported)"
        )
    by_name = {}
    for name in columns:
        column, series = table.c[name], frame[name]
        values = _sqlite_values(binding.fast_kind(column, conn.dialect, series), series)
        by_name[name] = binding.bound_values(conn, column, series) if values is None else values
    rows = list(zip(*(by_name[name] for name in order), strict=True))
    del by_name
    sql = str(compiled)
    written = 0
    for start in range(0, len(rows), batch_size):
        chunk = rows[start : start + batch_size]
        result = conn.exec_driver_sql(sql, chunk, execution_options=_ROWCOUNT)
        written += result.rowcount if result.rowcount >= 0 else len(chunk)
    return written


def _postgresql_upsert(
    conn: Connection,
    table: Table,
    frame: pd.DataFrame,
    columns: list[str],
    key: list[str],
    update_columns: list[str],
    update_where: UpdateWhere | None = None,
) -> int:
    staged = pg_copy.stage_frame(conn, table, frame, columns)
    stmt = postgresql.insert(table).from_select(columns, select(*staged.c))
    index_elements = [table.c[k] for k in key]
    if update_columns:
        stmt = stmt.on_conflict_do_update(
            index_elements=index_elements,
            set_={c: stmt.excluded[c] for c in update_columns},
            where=None if update_where is None else update_where(table, stmt.excluded),
        )
    else:
        stmt = stmt.on_conflict_do_nothing(index_elements=index_elements)
    written = conn.execute(stmt, execution_options=_ROWCOUNT).rowcount
    conn.exec_driver_sql(f"DROP TABLE {conn.dialect.identifier_preparer.quote(staged.name)}")
    return written


def upsert_frame(
    conn: Connection,
    table: Table,
    frame: pd.DataFrame,
    key: list[str],
    update_columns: list[str] | None = None,
    *,
    batch_size: int = BATCH_SIZE,
    update_where: UpdateWhere | None = None,
) -> int:
    """Insert `frame` into `table`, updating rows whose `key` exists; returns rows written.

    `update_columns` defaults to every non-key column of the frame; `[]` inserts new keys only.
    `update_where(table, excluded)` returns a condition an existing row must meet to be updated
    (e.g. "never replace a verified reading by a preliminary one"); rows failing it are kept.
    Raises DuplicateKeyError, before writing anything, when the frame repeats a key.
    Runs inside the caller's transaction; commit is the caller's decision.
    """
    key = list(key)
    if update_columns is None:
        update_columns = [c for c in frame.columns if c not in key]
    update_columns = list(update_columns)
    _validate(table, frame, key, update_columns)
    if frame.empty:
        return 0
    _check_duplicates(table, frame, key)

    columns = [str(c) for c in frame.columns]
    dialect = conn.dialect.name
    if dialect == "sqlite":
        return _sqlite_upsert(
            conn, table, frame, columns, key, update_columns, batch_size, update_where
        )
    if dialect == "postgresql":
        return _postgresql_upsert(conn, table, frame, columns, key, update_columns, update_where)
    raise NotImplementedError(f"upsert_frame supports sqlite and postgresql, not {dialect!r}")
