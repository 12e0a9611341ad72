"""Which meter format a file is, from its header; the single entry point `parse_meter_file`."""

from __future__ import annotations

import csv
from pathlib import Path

from gridflow.errors import ParseError
from gridflow.ingest.contract import Parsed
from gridflow.sources.meters import greenbutton, simple, smt
from gridflow.sources.meters.csvread import header_line, split_header

KNOWN_FORMATS = (
    f"Smart Meter Texas interval export (header {smt.HEADER})",
    f"simple two-column CSV (header {simple.HEADER})",
    f"Green Button CSV, PG&E flavour (table header {greenbutton.PGE_HEADER_START},...)",
    f"Green Button CSV, SCE flavour ('{greenbutton.SCE_MARKER}' day blocks)",
)


def detect_format(data: bytes, source: str = "<bytes>") -> str:
    """The format name of a meter file from its first lines; ParseError listing the known ones."""
    names = split_header(header_line(data))
    upper = [n.upper() for n in names]
    # A near-miss header goes to its parser, whose error says exactly what is wrong.
    if upper and upper[0] == "ESIID":
        return smt.FORMAT
    if len(names) == 2 and "time" in names[0].lower():
        return simple.FORMAT
    head = data[:8192].decode("utf-8-sig", errors="replace").replace("\u00a0", " ").splitlines()
    if greenbutton.is_pge(head):
        return greenbutton.PGE_FORMAT
    if greenbutton.is_sce(head):
        return greenbutton.SCE_FORMAT
    shown = ",".join(names)[:200] or "(empty file)"
    raise ParseError(source, f"line 1: unknown meter file format (header {shown!r}); known formats: "
                             + "; ".join(KNOWN_FORMATS))


def parse_meter_bytes(data: bytes, source: str, meter_id: str | None = None) -> Parsed:
    """Detect and parse meter file bytes; `meter_id` names the meter where the file does not."""
    fmt = detect_format(data, source)
    try:
        return _parse(fmt, data, source, meter_id)
    except csv.Error as exc:  # the line-based Green Button readers meet a malformed line
        raise ParseError(source, f"unreadable CSV: {exc}") from None


def _parse(fmt: str, data: bytes, source: str, meter_id: str | None) -> Parsed:
    fallback = meter_id or Path(source).stem
    if fmt == smt.FORMAT:
        return smt.parse_smt(data, source)
    if fmt == simple.FORMAT:
        return simple.parse_simple(data, source, fallback)
    if fmt == greenbutton.PGE_FORMAT:
        return greenbutton.parse_pge(data, source, fallback)
    return greenbutton.parse_sce(data, source, fallback)


def parse_meter_file(path: str | Path, meter_id: str | None = None) -> Parsed:
    """Read and parse one meter file of any known format."""
    path = Path(path)
    return parse_meter_bytes(path.read_bytes(), str(path), meter_id)
