"""safe_zip: the real ERCOT downloads extract; every unsafe or broken body gives a clear ParseError."""

from __future__ import annotations

import io
import re
import struct
import zipfile
from pathlib import Path

import pytest

from gridflow.errors import ParseError
from gridflow.sources.safe_zip import MB, UnsafeZipError, ZipLimits, extract_csv, looks_like_html, read_capped

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "ercot"
LOAD_ZIP = (FIXTURES / "ercot_np6-345-cd_actual_system_load_by_weather_zone_download.zip").read_bytes()
FORECAST_ZIP = (FIXTURES / "ercot_np3-561-cd_seven_day_load_forecast_by_weather_zone_download.zip").read_bytes()
LOAD_CSV = (FIXTURES / "ercot_np6-345-cd_actual_system_load_by_weather_zone_cdr.00013101.20231118.csv").read_bytes()


def make_zip(members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_real_downloads_extract():
    member = extract_csv(LOAD_ZIP, "13101")
    assert member.name == "cdr.00013101.0000000000000000.20231118.055000.ACTUALSYSLOADWZNP6345.csv"
    assert member.data == LOAD_CSV
    assert extract_csv(FORECAST_ZIP, "12312").name.endswith("LFCWEATHERNP3561.csv")


def test_csv_is_preferred_over_its_xml_twin():
    body = make_zip({"report.xml": b"<x/>", "report.csv": b"a,b\n1,2\n"})
    assert extract_csv(body, "z").name == "report.csv"


def test_crc_mismatch_is_detected():
    body = bytearray(make_zip({"report.csv": LOAD_CSV}, zipfile.ZIP_STORED))
    at = body.index(b"11/17/2023,01:00")
    body[at] = ord("2")  # one flipped byte inside the stored member
    with pytest.raises(ParseError, match=re.escape("CRC-32 mismatch in ZIP member 'report.csv'")):
        extract_csv(bytes(body), "z")


CASES = {
    "html error page": (b"\r\n\r\n<!DOCTYPE HTML PUBLIC><html><head><title>ERCOT MIS - Error</title></head></html>",
                        None, ParseError, "ERCOT returned an HTML page instead of a ZIP: 'ERCOT MIS - Error'"),
    "bare html": (b"<html><body>maintenance</body></html>", None, ParseError, "HTML page instead of a ZIP"),
    "truncated zip": (LOAD_ZIP[: len(LOAD_ZIP) // 2], None, ParseError, "truncated or corrupt ZIP (665 bytes)"),
    "not a zip": (b'{"error": "x"}', None, ParseError, "a body that is not a ZIP archive"),
    "empty body": (b"", None, ParseError, "empty body instead of a ZIP"),
    "zip-slip": (make_zip({"../../etc/cron.d/evil.csv": b"a\n"}), None, UnsafeZipError,
                 "unsafe member name '../../etc/cron.d/evil.csv'"),
    "absolute member": (make_zip({"/tmp/evil.csv": b"a\n"}), None, UnsafeZipError, "unsafe member name '/tmp/evil.csv'"),
    "windows traversal": (make_zip({"..\\evil.csv": b"a\n"}), None, UnsafeZipError, "path traversal"),
    "drive letter": (make_zip({"C:/evil.csv": b"a\n"}), None, UnsafeZipError, "absolute path"),
    "traversal in a sibling member": (make_zip({"ok.csv": b"a\n", "x/../../evil.xml": b"<x/>"}), None,
                                      UnsafeZipError, "unsafe member name"),
    "oversized compressed": (LOAD_ZIP, ZipLimits(max_compressed_bytes=1000), UnsafeZipError,
                             "ZIP is 1330 bytes, above the cap of 1000"),
    "zip bomb (declared size)": (make_zip({"bomb.csv": b"0" * 200_000}), ZipLimits(max_uncompressed_bytes=100_000),
                                 UnsafeZipError, "declares 200000 uncompressed bytes, above the cap of 100000"),
    "too many members": (make_zip({f"m{i}.csv": b"a" for i in range(5)}), ZipLimits(max_members=3), UnsafeZipError,
                         "ZIP holds 5 members, above the cap of 3"),
    "no csv": (make_zip({"report.xml": b"<x/>"}), None, ParseError, "no CSV member (members: report.xml)"),
    "two csvs": (make_zip({"a.csv": b"1", "b.csv": b"2"}), None, ParseError, "2 CSV members, expected one"),
}


@pytest.mark.parametrize("case", CASES)
def test_bad_bodies(case):
    body, limits, error, message = CASES[case]
    with pytest.raises(error) as info:
        extract_csv(body, "http://mis/doc?doclookupId=1", limits, origin="ERCOT")
    assert message in str(info.value)
    assert str(info.value).startswith("http://mis/doc?doclookupId=1: ")


def test_lying_declared_size_is_caught_while_inflating():
    body = bytearray(make_zip({"bomb.csv": b"0" * 200_000}))
    # Patch the declared sizes (local header and central directory) to claim 10 bytes.
    real = (200_000).to_bytes(4, "little")
    body = bytes(body).replace(real, (10).to_bytes(4, "little"))
    # zipfile stops inflating at the declared size, so the lie surfaces as a CRC mismatch
    # instead of 200 kB landing in memory.
    with pytest.raises(ParseError, match=re.escape("CRC-32 mismatch in ZIP member 'bomb.csv'")):
        extract_csv(body, "z", ZipLimits(max_uncompressed_bytes=100_000))


def test_html_sniffing():
    assert looks_like_html(b"  \n<!doctype html>")
    assert not looks_like_html(LOAD_ZIP)


def zeros_zip(size: int, name: str = "bomb.csv", chunk: int = 1 << 20) -> bytes:
    """A deflated ZIP whose one member is `size` zero bytes, written in chunks (a bomb: ~1000:1)."""
    buffer = io.BytesIO()
    block = bytes(chunk)
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive, archive.open(name, "w") as member:
        for _ in range(size // chunk):
            member.write(block)
        member.write(bytes(size % chunk))
    return buffer.getvalue()


def declare_size(body: bytes, size: int) -> bytes:
    """`body` with its one member's uncompressed size rewritten to `size` in the local header and
    the central directory (what a hostile server would send)."""
    out = bytearray(body)
    local = out.index(b"PK\x03\x04")
    struct.pack_into("<I", out, local + 22, size)
    central = out.index(b"PK\x01\x02")
    struct.pack_into("<I", out, central + 24, size)
    return bytes(out)


class CountingStream:
    """A readable stream that counts the bytes handed out, to see where reading stopped."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.handed_out = 0

    def read(self, n: int = -1) -> bytes:
        data = self.inner.read(n)
        self.handed_out += len(data)
        return data


def test_default_caps_fit_the_real_reports_with_room():
    limits = ZipLimits()
    assert (limits.max_compressed_bytes, limits.max_uncompressed_bytes) == (16 * MB, 64 * MB)
    # The real reports are far below: the biggest fixture CSV is 20 kB, ERCOT's biggest daily CSV a few MB.
    assert len(extract_csv(FORECAST_ZIP, "12312").data) * 1000 < limits.max_uncompressed_bytes


def test_a_bomb_declaring_more_than_the_default_cap_is_refused_before_inflating():
    body = zeros_zip(80 * MB)
    assert len(body) < MB  # what the server sends
    with pytest.raises(UnsafeZipError, match=f"declares {80 * MB} uncompressed bytes, above the cap of {64 * MB}"):
        extract_csv(body, "z")


def test_streaming_cap_stops_reading_once_passed_whatever_the_stream_holds():
    body = zeros_zip(5 * MB)
    with zipfile.ZipFile(io.BytesIO(body)) as archive, archive.open("bomb.csv") as handle:
        stream = CountingStream(handle)
        with pytest.raises(UnsafeZipError, match=r"member 'bomb.csv' inflates past the cap of 1048576 bytes; "
                                                 r"stopped after \d+ bytes"):
            read_capped(stream, MB, "member 'bomb.csv'", "z")
    assert MB < stream.handed_out <= MB + (1 << 16)  # one chunk past the cap, not the 5 MB


def test_streaming_cap_returns_everything_at_or_below_the_cap():
    assert read_capped(io.BytesIO(b"x" * 1000), 1000, "m", "z") == b"x" * 1000


def test_under_declared_member_never_inflates_past_its_declaration():
    # The header claims 1000 bytes for 8 MB of zeros: inflating stops at 1000 and the CRC exposes it.
    body = declare_size(zeros_zip(8 * MB), 1000)
    with pytest.raises(ParseError, match=re.escape("CRC-32 mismatch in ZIP member 'bomb.csv' (corrupt, or its "
                                                   "header declares fewer bytes than it holds)")):
        extract_csv(body, "z")


def test_compression_methods_other_than_deflate_are_refused():
    body = make_zip({"r.csv": b"a,b\n1,2\n" * 1000}, zipfile.ZIP_BZIP2)
    with pytest.raises(UnsafeZipError, match=re.escape("member 'r.csv' uses compression method 12; only stored or deflate")):
        extract_csv(body, "z")
