"""Fast CSV reading for meter files: pyarrow, every column dictionary-encoded.

Meter exports repeat a handful of distinct strings millions of times (one ESIID, 96 start times,
a few hundred dates, a few thousand kWh values). Reading each column as a dictionary lets the
parsers convert each distinct string once and gather the results with integer codes.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from gridflow.errors import ParseError

_DICT = pa.dictionary(pa.int32(), pa.string())
_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class Column:
    """A column as integer codes into its distinct (stripped) values."""

    codes: np.ndarray  # int32 per row
    values: list[str]


@dataclass(frozen=True)
class RawTable:
    """The data rows of a file: columns by name, row count, and whether the file ended cleanly."""

    columns: dict[str, Column]
    rows: int
    ends_with_newline: bool
    last_line: int  # 1-based line number of the last data row


def header_line(data: bytes) -> str:
    """The first line of the file, without BOM, line ending or surrounding whitespace."""
    if data.startswith(_BOM):
        data = data[3:]
    end = data.find(b"\n")
    first = data if end < 0 else data[:end]
    text = first.decode("utf-8", errors="replace").replace("\u00a0", " ")
    return (text.splitlines() or [""])[0].strip()


def split_header(line: str) -> list[str]:
    """Column names of a header line, stripped (quoted names allowed)."""
    try:
        return [c.strip() for c in next(csv.reader([line]), [])]
    except csv.Error:  # stray carriage returns or quotes: not a header any format knows
        return [line]


def read_dictionary_table(data: bytes, names: list[str], source: str, skip_rows: int = 1,
                          floats: tuple[str, ...] = ()) -> RawTable:
    """Read the rows after `skip_rows` header lines as dictionary-encoded string columns.

    Columns in `floats` are parsed as float64 instead (blank = NaN): high-cardinality numbers
    cost more to dictionary-encode than to parse. Only a blank is missing: text such as `n/a`,
    `NULL` or `NaN`, or an infinite number, makes this read them as strings again, so the caller
    can reject the file naming the offending lines and values.
    Structural problems (wrong field count, a cut-off last line) raise ParseError with the line.
    """
    ends_with_newline = data.endswith(b"\n")
    body = data
    if data.endswith((b"\n\n", b"\n\r\n")):  # trailing blank lines are harmless, not rows
        body = data.rstrip(b"\r\n") + b"\n"
    view = memoryview(body)[3:] if body.startswith(_BOM) else memoryview(body)
    types = {n: (pa.float64() if n in floats else _DICT) for n in names}
    try:
        table = pacsv.read_csv(
            pa.BufferReader(pa.py_buffer(view)),
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=skip_rows,
                                           block_size=16 << 20),
            parse_options=pacsv.ParseOptions(ignore_empty_lines=False),
            # pyarrow's default null markers (N/A, NULL, NaN, ...) would turn text into missing readings.
            convert_options=pacsv.ConvertOptions(column_types=types, null_values=[""], strings_can_be_null=False,
                                                 quoted_strings_can_be_null=False),
        )
    except pa.ArrowInvalid as exc:
        if floats and "conversion error" in str(exc):
            return read_dictionary_table(data, names, source, skip_rows)
        raise structural_error(bytes(view), len(names), source, skip_rows, ends_with_newline,
                               str(exc)) from None
    if any(_has_non_finite(table.column(name)) for name in floats):
        return read_dictionary_table(data, names, source, skip_rows)
    table = table.unify_dictionaries()
    columns = {}
    for name in names:
        if name in floats:
            arr = table.column(name).to_numpy()
            columns[name] = Column(arr, [])  # codes hold the values themselves
            continue
        chunks = table.column(name).chunks
        if not chunks:
            columns[name] = Column(np.zeros(0, dtype="int32"), [])
            continue
        codes = np.concatenate([c.indices.to_numpy(zero_copy_only=False) for c in chunks])
        values = [v.strip() for v in chunks[0].dictionary.to_pylist()]
        columns[name] = Column(codes, values)
    rows = table.num_rows
    return RawTable(columns, rows, ends_with_newline, last_line=skip_rows + rows)


def _has_non_finite(column: pa.ChunkedArray) -> bool:
    # Nulls are blanks; a non-null NaN or infinity came from text like "nan" or "inf".
    values = column.to_numpy()
    return bool((~np.isfinite(values) & ~column.is_null().to_numpy(zero_copy_only=False)).any())


def structural_error(body: bytes, width: int, source: str, skip_rows: int, ends_with_newline: bool,
                     fallback: str) -> ParseError:
    """Find the first data row whose field count is wrong (slow path, only for broken files)."""
    lines = body.decode("utf-8", errors="replace").splitlines()
    last = len(lines)
    for number, line in enumerate(lines, start=1):
        try:
            fields = next(csv.reader([line]), [])
        except csv.Error as exc:
            return ParseError(source, f"line {number}: unreadable CSV line ({exc})")
        if number <= skip_rows or len(fields) == width:
            continue
        if number == last and not ends_with_newline:
            return ParseError(source, f"line {number}: truncated last line ({len(fields)} of {width} "
                                      "fields and no final newline); the file was cut short")
        if not fields:
            return ParseError(source, f"line {number}: blank line inside the data")
        return ParseError(source, f"line {number}: expected {width} fields, found {len(fields)}")
    return ParseError(source, f"unreadable CSV: {fallback}")


def row_lines(table: RawTable, mask_or_rows: np.ndarray, skip_rows: int = 1) -> np.ndarray:
    """1-based file line numbers of the given data rows (boolean mask or indices)."""
    rows = np.flatnonzero(mask_or_rows) if mask_or_rows.dtype == bool else np.asarray(mask_or_rows)
    return rows + skip_rows + 1


def truncation_hint(table: RawTable, lines: np.ndarray) -> str:
    """A note when an error sits on an unterminated last line: the usual sign of a cut file."""
    if not table.ends_with_newline and len(lines) and int(lines[-1]) == table.last_line:
        return " (the last line has no final newline: the file looks truncated)"
    return ""
