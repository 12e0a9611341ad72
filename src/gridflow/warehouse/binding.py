"""Column values exactly as SQLAlchemy's bind step would hand them to the driver.

The per-value path (`bound_values`) runs the column type's own bind step on Python scalars. The
vectorised helpers convert whole columns with numpy where that step is known exactly (`fast_kind`
says when); `gridflow.warehouse.upsert` (SQLite) and `gridflow.warehouse.pg_copy` (PostgreSQL)
build on both, and tests/warehouse/test_upsert_fast_paths.py checks they store identical data.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Boolean, Column, Connection, Float, Integer, String, Table, TypeDecorator

from gridflow.warehouse.types import UTCDateTime, WallClockDateTime


def check_columns(table: Table, frame: pd.DataFrame) -> None:
    """Raise ValueError unless the frame's columns are distinct columns of `table`, instants tz-aware."""
    columns = list(frame.columns)
    if len(set(columns)) != len(columns):
        raise ValueError(f"frame for {table.name!r} has repeated column names: {columns}")
    unknown = [c for c in columns if c not in table.c]
    if unknown:
        raise ValueError(f"table {table.name!r} has no column(s) {unknown}")
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


# ---- Vectorised value preparation ---------------------------------------------------------------
#
# Whole columns are converted with numpy where the column type's bind step is known exactly (the
# types below, with the dtypes they accept); anything else takes the per-value path above plus
# the type's own bind step, so custom types, JSON, object columns and every error case behave as
# SQLAlchemy binding would.

INSTANT, WALL_CLOCK, BOOL, INT, FLOAT, STRING = "instant", "wall", "bool", "int", "float", "str"
NULL = "null"

# Python datetimes (what the per-value path hands the driver) span years 1-9999.
_MIN_US = -62_135_596_800_000_000  # 0001-01-01 in microseconds since 1970
_MAX_US = 253_402_300_799_999_999  # 9999-12-31 23:59:59.999999


def string_codes(series: pd.Series) -> tuple[np.ndarray, list[str]] | None:
    """(codes, uniques) when every non-missing value is a `str` (code -1 = missing), else None."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        codes = series.cat.codes.to_numpy()
        uniques = list(series.cat.categories)
        used = np.zeros(len(uniques), dtype=bool)
        used[codes[codes >= 0]] = True
        uniques = [u if used[i] else "" for i, u in enumerate(uniques)]
    elif series.dtype.kind in "OSUT" or pd.api.types.is_string_dtype(series.dtype):
        codes, index = pd.factorize(series, use_na_sentinel=True)
        uniques = list(index)
    else:
        return None
    if not all(type(u) is str for u in uniques):
        return None
    return np.asarray(codes, dtype=np.int64), uniques


def fast_kind(column: Column[Any], dialect: Any, series: pd.Series) -> str | None:
    """Which vectorised conversion reproduces the column type's bind step for this dtype."""
    col_type = column.type
    dtype = series.dtype
    aware = getattr(dtype, "tz", None) is not None
    plain = isinstance(col_type, (Boolean, Integer, Float)) or (
        isinstance(col_type, String) and _bind_processor(column, dialect) is None
    )
    known = isinstance(col_type, (UTCDateTime, WallClockDateTime)) or (
        plain and not isinstance(col_type, TypeDecorator)
    )
    if known and dtype.kind not in "biufM" and series.isna().all():
        return NULL  # e.g. an all-None object column: every bind step maps None to NULL
    if isinstance(col_type, UTCDateTime):
        return INSTANT if dtype.kind == "M" and aware else None
    if isinstance(col_type, WallClockDateTime):
        return WALL_CLOCK if dtype.kind == "M" and not aware else None
    if isinstance(col_type, TypeDecorator):
        return None  # unknown bind step: per value
    if isinstance(col_type, Boolean):
        return BOOL if dtype.kind == "b" else None
    if isinstance(col_type, Integer):
        return INT if dtype.kind in "iu" else None
    if isinstance(col_type, Float):
        return FLOAT if dtype.kind == "f" else None
    if isinstance(col_type, String) and _bind_processor(column, dialect) is None:
        return STRING
    return None


def missing(series: pd.Series) -> np.ndarray:
    """Boolean mask of the missing values (None, NaN, NaT, pd.NA)."""
    return np.asarray(series.isna().to_numpy(), dtype=bool)


def datetime_us(series: pd.Series) -> np.ndarray | None:
    """Naive (UTC for tz-aware) microseconds since 1970, floored like `to_pydatetime`; NaT -> 0.

    None when a value lies outside Python's datetime range (the per-value path raises there)."""
    if getattr(series.dtype, "tz", None) is not None:
        series = series.dt.tz_convert(None)  # UTC wall clock
    values = series.to_numpy().astype("datetime64[us]").view(np.int64)
    mask = missing(series)
    if mask.any():
        values = np.where(mask, 0, values)
    if len(values) and (values.min() < _MIN_US or values.max() > _MAX_US):
        return None
    return values


def numbers(series: pd.Series, dtype: str) -> tuple[np.ndarray, np.ndarray]:
    """(values as `dtype`, missing mask); missing slots hold 0."""
    mask = missing(series)
    values = series.to_numpy(dtype=dtype, na_value=0) if mask.any() else series.to_numpy(dtype=dtype)
    return values, mask


def bound_values(conn: Connection, column: Column[Any], series: pd.Series) -> list[Any]:
    """The column's values one by one through the type's own bind step: the reference path."""
    values = _column_values(series)
    process = _bind_processor(column, conn.dialect)
    return values if process is None else [process(v) for v in values]
