"""Which meter format a file is, from its header; the single entry point `parse_meter_file`.

A gzip-compressed file (`.csv.gz`) is inflated first, up to `MAX_INFLATED_BYTES`."""

from __future__ import annotations

import csv
import gzip
import io
import zlib
from pathlib import Path

from gridflow.errors import ParseError
from gridflow.ingest.contract import Parsed
from gridflow.sources.meters import greenbutton, long, simple, smt
from gridflow.sources.meters.csvread import header_line, split_header

KNOWN_FORMATS = (
    f"Smart Meter Texas interval export (header {smt.HEADER})",
    f"simple two-column CSV (header {simple.HEADER})",
    f"long CSV, many meters (header {long.HEADER})",
    f"Green Button CSV, PG&E flavour (table header {greenbutton.PGE_HEADER_START},...)",
    f"Green Button CSV, SCE flavour ('{greenbutton.SCE_MARKER}' day blocks)",
)
_GZIP_MAGIC = b"\x1f\x8b"
# Far above any real drop file (the shipped SGSC households inflate to 55 MB): a guard against a
# gzip bomb, not a limit on real data.
MAX_INFLATED_BYTES = 1 << 30


def detect_format(data: bytes, source: str = "<bytes>") -> str:
    """The format name of a meter file (plain or gzip) from its first lines; ParseError listing the known ones."""
    data = inflate(data, source)
    names = split_header(header_line(data))
    upper = [n.upper() for n in names]
    # A near-miss header goes to its parser, whose error says exactly what is wrong.
    if upper and upper[0] == "ESIID":
        return smt.FORMAT
    if len(names) == 3 and names[0].lower() == "meter":
        return long.FORMAT
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


def parse_meter_bytes(data: bytes, source: str, meter_id: str | None = None, tz: str | None = None) -> Parsed:
    """Detect and parse meter file bytes (plain or gzip); `meter_id` names the meter where the file
    does not, `tz` the meters' zone for the formats that take one (SMT, simple, long; None: America/
    Chicago). Green Button files are read in their utilities' zone, America/Los_Angeles."""
    data = inflate(data, source)
    fmt = detect_format(data, source)
    try:
        return _parse(fmt, data, source, meter_id, {} if tz is None else {"tz": tz})
    except csv.Error as exc:  # the line-based Green Button readers meet a malformed line
        raise ParseError(source, f"unreadable CSV: {exc}") from None


def inflate(data: bytes, source: str) -> bytes:
    """The bytes themselves, or their gzip content (capped at `MAX_INFLATED_BYTES`: a bomb is a ParseError)."""
    if not data.startswith(_GZIP_MAGIC):
        return data
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as stream:
            out = stream.read(MAX_INFLATED_BYTES + 1)
    except (OSError, EOFError, zlib.error) as exc:
        raise ParseError(source, f"unreadable gzip file: {exc}") from None
    if len(out) > MAX_INFLATED_BYTES:
        raise ParseError(source, f"gzip file inflates past {MAX_INFLATED_BYTES >> 20} MB: refused")
    return out


def _parse(fmt: str, data: bytes, source: str, meter_id: str | None, zone: dict[str, str]) -> Parsed:
    fallback = meter_id or _stem(source)
    if fmt == smt.FORMAT:
        return smt.parse_smt(data, source, **zone)
    if fmt == simple.FORMAT:
        return simple.parse_simple(data, source, fallback, **zone)
    if fmt == long.FORMAT:
        return long.parse_long(data, source, **zone)
    if fmt == greenbutton.PGE_FORMAT:
        return greenbutton.parse_pge(data, source, fallback)
    return greenbutton.parse_sce(data, source, fallback)


def _stem(source: str) -> str:
    name = Path(source).name
    return name[:-len(".csv.gz")] if name.endswith(".csv.gz") else Path(name).stem


def parse_meter_file(path: str | Path, meter_id: str | None = None, tz: str | None = None) -> Parsed:
    """Read and parse one meter file of any known format."""
    path = Path(path)
    return parse_meter_bytes(path.read_bytes(), str(path), meter_id, tz)

