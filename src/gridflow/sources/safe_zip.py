"""Extract the one CSV (or other named member) of a downloaded ZIP, treating the archive as untrusted input.

A download is a security boundary: the body may be an HTML error page served with status 200,
truncated, a ZIP bomb, or carry members named ``../../etc/passwd``. Nothing is written to disk.
The member is inflated through zipfile's stream in chunks with a running byte cap, so a bomb is
stopped as soon as it passes the cap whatever its header declares; it is read to the end so its
CRC-32 is checked before any byte is used.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from dataclasses import dataclass
from typing import BinaryIO

from gridflow.errors import ParseError

_CHUNK = 1 << 16
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")  # local file header; empty archive
_DRIVE = re.compile(r"^[A-Za-z]:")
# ERCOT publishes deflated (or stored) members; bzip2/LZMA only widen what a bomb can do.
_METHODS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflate"}
MB = 1024 * 1024


class UnsafeZipError(ParseError):
    """The archive breaks a safety rule (size caps, member count, member names)."""


@dataclass(frozen=True)
class ZipLimits:
    """Caps for one download, sized to the real reports with room to spare: ERCOT's daily CSV ZIPs
    are kilobytes to ~1 MB and their CSVs a few MB (the full DAM settlement point prices day)."""

    max_compressed_bytes: int = 16 * MB
    max_uncompressed_bytes: int = 64 * MB
    max_members: int = 16


@dataclass(frozen=True)
class ZipMember:
    """The extracted member: its name inside the archive and its bytes."""

    name: str
    data: bytes


def looks_like_html(body: bytes) -> bool:
    """True when the body starts like an HTML document (leading whitespace ignored)."""
    head = body[:1024].lstrip().lower()
    return head.startswith((b"<!doctype", b"<html")) or b"<html" in head[:256]


def extract_csv(body: bytes, source: str, limits: ZipLimits | None = None, origin: str = "the server") -> ZipMember:
    """The single CSV member of a ZIP body, checked against `limits`; ParseError (or UnsafeZipError) otherwise.

    When a CSV and its XML twin are both present, the CSV is taken; two CSVs are an error.
    `origin` names who sent the body in error messages (e.g. "ERCOT").
    """
    return extract_member(body, source, limits, origin, extension="csv")


def extract_member(body: bytes, source: str, limits: ZipLimits | None = None, origin: str = "the server",
                   extension: str = "csv") -> ZipMember:
    """The single member named `*.<extension>` (e.g. "xlsx") of a ZIP body, with the checks of `extract_csv`."""
    limits = limits or ZipLimits()
    if len(body) > limits.max_compressed_bytes:
        raise UnsafeZipError(source, f"ZIP is {len(body)} bytes, above the cap of {limits.max_compressed_bytes}")
    if not body:
        raise ParseError(source, f"{origin} returned an empty body instead of a ZIP")
    if looks_like_html(body):
        raise ParseError(source, f"{origin} returned an HTML page instead of a ZIP: {_html_title(body)!r}")
    if not body.startswith(_ZIP_MAGIC):
        raise ParseError(source, f"{origin} returned a body that is not a ZIP archive (starts with {body[:16]!r})")
    try:
        archive = zipfile.ZipFile(io.BytesIO(body))
    except zipfile.BadZipFile as exc:
        raise ParseError(source, f"truncated or corrupt ZIP ({len(body)} bytes): {exc}") from None
    with archive:
        infos = archive.infolist()
        if len(infos) > limits.max_members:
            raise UnsafeZipError(source, f"ZIP holds {len(infos)} members, above the cap of {limits.max_members}")
        files = []
        for info in infos:
            _check_name(info.filename, source)
            if not info.is_dir():
                files.append(info)
        declared = sum(i.file_size for i in files)
        if declared > limits.max_uncompressed_bytes:
            raise UnsafeZipError(source, f"ZIP declares {declared} uncompressed bytes, above the cap of "
                                         f"{limits.max_uncompressed_bytes}")
        member = _choose(files, extension, source)
        if member.flag_bits & 0x1:
            raise UnsafeZipError(source, f"member {member.filename!r} is encrypted")
        if member.compress_type not in _METHODS:
            raise UnsafeZipError(source, f"member {member.filename!r} uses compression method "
                                         f"{member.compress_type}; only stored or deflate are accepted")
        return ZipMember(member.filename, _read_member(archive, member, limits.max_uncompressed_bytes, source))


def _check_name(name: str, source: str) -> None:
    # Reject rather than sanitise: a legitimate ERCOT archive never names members like this.
    unified = name.replace("\\", "/")
    parts = unified.split("/")
    if unified.startswith("/") or _DRIVE.match(unified) or ".." in parts or "\x00" in name:
        raise UnsafeZipError(source, f"unsafe member name {name!r} (absolute path or path traversal)")
    if posixpath.normpath(unified).startswith(".."):
        raise UnsafeZipError(source, f"unsafe member name {name!r} (path traversal)")


def _choose(files: list[zipfile.ZipInfo], extension: str, source: str) -> zipfile.ZipInfo:
    wanted = [i for i in files if i.filename.lower().endswith(f".{extension.lower()}")]
    if len(wanted) == 1:
        return wanted[0]
    names = ", ".join(i.filename for i in files) or "none"
    kind = extension.upper()
    if not wanted:
        raise ParseError(source, f"ZIP holds no {kind} member (members: {names})")
    raise ParseError(source, f"ZIP holds {len(wanted)} {kind} members, expected one (members: {names})")


def read_capped(stream: BinaryIO, cap: int, what: str, source: str) -> bytes:
    """Every byte of `stream`, read in chunks; UnsafeZipError as soon as more than `cap` came out."""
    chunks: list[bytes] = []
    size = 0
    while chunk := stream.read(_CHUNK):
        size += len(chunk)
        if size > cap:
            raise UnsafeZipError(source, f"{what} inflates past the cap of {cap} bytes; stopped after "
                                         f"{size} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int, source: str) -> bytes:
    # Declared sizes can lie; count what actually inflates, and read to the end so the CRC is checked.
    # (zipfile stops at the declared size, so an under-declared member ends in a CRC mismatch.)
    try:
        with archive.open(info) as handle:
            return read_capped(handle, cap, f"member {info.filename!r}", source)
    except zipfile.BadZipFile as exc:
        if "CRC" in str(exc):
            raise ParseError(source, f"CRC-32 mismatch in ZIP member {info.filename!r} (corrupt, or its header "
                                     f"declares fewer bytes than it holds): {exc}") from None
        raise ParseError(source, f"corrupt ZIP member {info.filename!r}: {exc}") from None
    except (EOFError, ValueError, OSError) as exc:  # zlib errors surface as these on truncated data
        raise ParseError(source, f"truncated or corrupt ZIP member {info.filename!r}: {exc}") from None


def _html_title(body: bytes) -> str:
    text = body[:4096].decode("utf-8", errors="replace")
    match = re.search(r"<title[^>]*>(.*?)</title>", text, re.IGNORECASE | re.DOTALL)
    return (match.group(1).strip() if match else text.strip()[:80]) or "untitled"
