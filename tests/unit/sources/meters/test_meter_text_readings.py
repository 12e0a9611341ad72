"""A blank reading is missing; text in the reading column (`n/a`, `NULL`, `NaN`, `inf`) is a
malformed file, rejected naming the 1-based file line and the value, in every meter format."""

from __future__ import annotations

from pathlib import Path

import pytest

from gridflow.errors import ParseError
from gridflow.sources.meters import parse_meter_bytes

FIX = Path(__file__).resolve().parents[3] / "fixtures" / "meters"
SMT = (FIX / "smt_interval_15min_IntervalData_dst_days_excerpt_esiid_masked.csv").read_bytes()
PGE = (FIX / "greenbutton_csv_pge_electric_interval_data_hourly_2018-10-04_to_2019-02-11_preamble_redacted.csv"
       ).read_bytes()
SCE = (FIX / "greenbutton_csv_sce_net_metering_SCE-NEMFILE.sample.csv").read_bytes()
TEXTS = ["n/a", "N/A", "NULL", "NaN", "nan", "-", "inf", "missing"]


def replace_on_line(data: bytes, line: int, old: bytes, new: bytes) -> bytes:
    """`data` with the first `old` on 1-based `line` replaced by `new`."""
    lines = data.split(b"\n")
    assert old in lines[line - 1], lines[line - 1]
    lines[line - 1] = lines[line - 1].replace(old, new, 1)
    return b"\n".join(lines)


def rejected(data: bytes, name: str = "m.csv") -> str:
    with pytest.raises(ParseError) as err:
        parse_meter_bytes(data, name)
    return str(err.value)


@pytest.mark.parametrize("text", TEXTS)
def test_smt_text_reading_rejects_the_file_naming_line_and_value(text):
    data = replace_on_line(SMT, 4, b",.144,", f",{text},".encode())
    message = rejected(data)
    assert f"line 4: USAGE_KWH {text!r} is not a number of kWh" in message


def test_smt_all_text_file_says_why_not_row_count():
    lines = SMT.split(b"\n")
    body = [lines[0], *(b",".join([*line.split(b",")[:5], b"n/a", *line.split(b",")[6:]]) for line in lines[1:] if line)]
    message = rejected(b"\n".join(body) + b"\n")
    assert "line 2, 3, 4, 5, 6 (and" in message and "USAGE_KWH 'n/a' is not a number of kWh" in message


def test_smt_blank_reading_is_missing_and_reported():
    parsed = parse_meter_bytes(replace_on_line(SMT, 4, b",.144,", b",,"), "m.csv")
    assert len(parsed.frame) == len(parse_meter_bytes(SMT, "m.csv").frame) - 1
    assert any("1 blank interval(s) outside the spring-forward gap dropped: missing readings" in i
               for i in parsed.issues)


def simple(*rows: str) -> bytes:
    return ("timestamp,kWh\n" + "".join(f"{r}\n" for r in rows)).encode()


@pytest.mark.parametrize("text", TEXTS)
def test_simple_text_reading_rejects_the_file(text):
    message = rejected(simple("2024-01-01T00:00,1.0", f"2024-01-01T00:15,{text}", "2024-01-01T00:30,2"))
    assert f"line 3: kWh {text!r} is not a number" in message


def test_simple_blank_reading_is_missing():
    parsed = parse_meter_bytes(simple("2024-01-01T00:00,1.0", "2024-01-01T00:15,", "2024-01-01T00:30,2"), "m.csv")
    assert parsed.frame["kwh"].tolist() == [1.0, 2.0]
    assert parsed.issues[0] == "1 blank kWh value(s) dropped: missing readings (lines 3)"


@pytest.mark.parametrize("text", TEXTS)
def test_pge_text_usage_rejects_the_file(text):
    data = replace_on_line(PGE, 8, b",0.17,", f",{text},".encode())
    assert f"line 8: usage {text!r} is not a number of kWh" in rejected(data)


def test_pge_blank_usage_is_missing():
    parsed = parse_meter_bytes(replace_on_line(PGE, 8, b",0.17,", b",,"), "m.csv")
    assert len(parsed.frame) == len(parse_meter_bytes(PGE, "m.csv").frame) - 1
    assert "1 blank usage value(s) dropped: missing readings (lines 8)" in parsed.issues


@pytest.mark.parametrize("text", TEXTS)
def test_sce_text_usage_rejects_the_file(text):
    line = next(i for i, row in enumerate(SCE.split(b"\n"), start=1) if row.startswith(b'"2022-08-01 00:15:00'))
    data = replace_on_line(SCE, line, b'"0.380"', f'"{text}"'.encode())
    assert f"line {line}: usage {text!r} is not a number of kWh" in rejected(data)


def test_sce_blank_usage_is_missing():
    line = next(i for i, row in enumerate(SCE.split(b"\n"), start=1) if row.startswith(b'"2022-08-01 00:15:00'))
    parsed = parse_meter_bytes(replace_on_line(SCE, line, b'"0.380"', b'""'), "m.csv")
    assert len(parsed.frame) == len(parse_meter_bytes(SCE, "m.csv").frame) - 1
    assert f"1 blank usage value(s) dropped: missing readings (lines {line})" in parsed.issues
