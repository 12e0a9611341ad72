"""Idempotent bulk writes of pandas frames: the warehouse's one write path.

Statements are SQLAlchemy Core `insert(...).on_conflict_do_update(...)` on both dialects, and every
value goes through its column type's bind step (so `UTCDateTime` rules hold everywhere):

- SQLite: the compiled statement is run with the driver's executemany in batches.
- PostgreSQL: binary COPY into a temporary table, then one `INSERT ... SELECT ... ON CONFLICT DO
  UPDATE`; psycopg's row-by-row executemany was several times slower.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Column, Connection, MetaData, Table, select
from sqlalchemy.dialects import postgresql, sqlite

from gridflow.errors import GridflowError
from gridflow.warehouse.types import UTCDateTime

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


def _column_values(series: pd.Series) -> list[Any]:
    # Drivers understand only Python scalars: no numpy scalars, pd.Timestamp, NaT, NaN or pd.NA.
    mask = series.isna().to_numpy()
    if series.dtype.kind == "M":
        if getattr(series.dtype, "tz", None) is not None:
            # Already-UTC values take UTCDateTime's cheapest path.
            series = series.dt.tz_convert("UTC")
        values = series.array.to_pydatetime().tolist()
    elif isinstance(series.dtype, np.dtype) and series.dtype.kind in "biuf":
        values = series.to_numpy().tolist()
    else:
        values = [v.item() if isinstance(v, np.generic) else v for v in series.astype(object)]
    if mask.any():
        for i in np.flatnonzero(mask).tolist():
            values[i] = None
    return values


def _validate(table: Table, frame: pd.DataFrame, key: list[str], update: list[str]) -> None:
    columns = list(frame.columns)
    if len(set(columns)) != len(columns):
        raise ValueError(f"frame for {table.name!r} has repeated column names: {columns}")
    unknown = [c for c in columns if c not in table.c]
    if unknown:
        raise ValueError(f"table {table.name!r} has no column(s) {unknown}")
    missing = [k for k in key if k not in columns]
    if not key or missing:
        raise ValueError(f"frame for {table.name!r} lacks key column(s) {missing or key}")
    bad_update = [c for c in update if c not in columns or c in key]
    if bad_update:
        raise ValueError(f"update_columns {bad_update} must be non-key columns of the frame")
    for name in columns:
        dtype = frame[name].dtype
        is_instant = isinstance(table.c[name].type, UTCDateTime)
        if is_instant and dtype.kind == "M" and getattr(dtype, "tz", None) is None:
            raise ValueError(
                f"column {name!r} of {table.name!r} holds instants but the frame's values are "
                "naive; localize them (e.g. .dt.tz_localize('UTC')) before writing"
            )


def _bind_processor(column: Column[Any], dialect: Any) -> Callable[[Any], Any] | None:
    return column.type.dialect_impl(dialect).bind_processor(dialect)


def _apply_bind_processors(
    conn: Connection, table: Table, columns: list[str], data: list[list[Any]]
) -> None:
    # The driver is fed directly (no per-row SQLAlchemy parameter handling, which cost more than
    # the database work), so run each column type's bind step here: the values, and on SQLite
    # the stored text, are exactly what SQLAlchemy itself would have bound.
    for i, name in enumerate(columns):
        process = _bind_processor(table.c[name], conn.dialect)
        if process is not None:
            data[i] = [process(v) for v in data[i]]


def _sqlite_upsert(
    conn: Connection,
    table: Table,
    columns: list[str],
    data: list[list[Any]],
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
    _apply_bind_processors(conn, table, columns, data)
    by_name = dict(zip(columns, data, strict=True))
    rows = list(zip(*(by_name[name] for name in order), strict=True))
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
    columns: list[str],
    data: list[list[Any]],
    key: list[str],
    update_columns: list[str],
    update_where: UpdateWhere | None = None,
) -> int:
    prep = conn.dialect.identifier_preparer
    _apply_bind_processors(conn, table, columns, data)

    tmp_name = f"_gridflow_upsert_{uuid.uuid4().hex[:16]}"
    quoted_cols = ", ".join(prep.quote(c) for c in columns)
    # Same column types as the target but no constraints: rows are checked on the real INSERT.
    conn.exec_driver_sql(
        f"CREATE TEMPORARY TABLE {prep.quote(tmp_name)} AS "
        f"SELECT {quoted_cols} FROM {prep.format_table(table)} WITH NO DATA"
    )
    with conn.connection.driver_connection.cursor() as cursor:
        # Binary COPY is ~15x faster than text COPY here; it needs the exact column types.
        cursor.execute(f"SELECT {quoted_cols} FROM {prep.quote(tmp_name)} LIMIT 0")
        oids = [d.type_code for d in cursor.description]
        sql = f"COPY {prep.quote(tmp_name)} ({quoted_cols}) FROM STDIN (FORMAT BINARY)"
        with cursor.copy(sql) as copy:
            copy.set_types(oids)
            for row in zip(*data, strict=True):
                copy.write_row(row)

    tmp = Table(tmp_name, MetaData(), *(Column(c, table.c[c].type) for c in columns))
    stmt = postgresql.insert(table).from_select(columns, select(*tmp.c))
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
    conn.exec_driver_sql(f"DROP TABLE {prep.quote(tmp_name)}")
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
    data = [_column_values(frame[c]) for c in columns]
    dialect = conn.dialect.name
    if dialect == "sqlite":
        return _sqlite_upsert(conn, table, columns, data, key, update_columns, batch_size, update_where)
    if dialect == "postgresql":
        return _postgresql_upsert(conn, table, columns, data, key, update_columns, update_where)
    raise NotImplementedError(f"upsert_frame supports sqlite and postgresql, not {dialect!r}")
