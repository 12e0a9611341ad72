"""The opening every fixed-header CSV parser shares (pure): a path, bytes or text in, its name and
data rows out, the header checked, blank lines skipped, every row the header's width."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

from gridflow.errors import ParseError


def csv_data_rows(data: bytes | str | Path, name: str | None, default_name: str, header: list[str],
                  what: str) -> tuple[str, Iterator[tuple[int, list[str]]]]:
    """The source's name and its (line number, fields) data rows. Raises ParseError naming the line
    on a header other than `header` (`what` says which export was expected) or a row of another width."""
    if isinstance(data, Path):
        name, data = name or str(data), data.read_bytes()
    name = name or default_name
    text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
    reader = csv.reader(io.StringIO(text))
    found = next(reader, None)
    if found is None or [h.strip() for h in found] != header:
        raise ParseError(name, f"line 1: header {found!r} is not {header!r} ({what})")
    return name, _rows(reader, name, len(header))


def _rows(reader: Iterator[list[str]], name: str, width: int) -> Iterator[tuple[int, list[str]]]:
    for line, row in enumerate(reader, start=2):
        if not row or all(not cell.strip() for cell in row):
            continue  # a trailing blank line is no data row
        if len(row) != width:
            raise ParseError(name, f"line {line}: {len(row)} fields, expected {width}: {row!r}")
        yield line, row
