"""safe_zip: the real ERCOT downloads extract; every unsafe or broken body gives a clear ParseError."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest

from gridflow.errors import ParseError
from gridflow.sources.safe_zip import UnsafeZipError, ZipLimits, extract_csv, looks_like_html

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
