"""Hostile bodies inside the size cap reach the ERCOT parsers as ParseError naming the line, never
as another exception (which would mark the document failed and fetch it again on every run)."""

from __future__ import annotations

import pytest

from gridflow.errors import ParseError
from gridflow.sources.ercot.parse import LOAD_WZ_HEADER, read_table
from gridflow.sources.ercot.reports import REPORTS

CASES = {
    "NUL bytes (an inflated bomb's zeros)": (bytes(1 << 20), "line 1: unreadable CSV (field larger than field limit"),
    "one huge field": (b"a,b\n1,2\n" + b"x" * 200_000 + b",1\n", "line 3: unreadable CSV (field larger than"),
    "unterminated quote": (b'a,b\n1,2\n"3,4\n5,6\n', "line 4: 1 fields, the header has 2"),
    "millions of blank lines, then a wrong row": (b"a,b\n" + b"\n" * 2_000_000 + b"1,2,3\n",
                                                  "line 2000002: 3 fields, the header has 2"),
    "header only": (b"a,b\n\n\n", "no data rows after the header 'a,b'"),
    "nothing but blank lines": (b"\r\n" * 1000, "empty CSV: no header line"),
}


@pytest.mark.parametrize("case", CASES)
def test_hostile_csv_is_a_parse_error_naming_the_line(case):
    data, message = CASES[case]
    with pytest.raises(ParseError) as err:
        read_table(data, "doc.csv")
    assert message in str(err.value)
    assert len(str(err.value)) < 1000  # the reason is for an operator, not a dump of the input


@pytest.mark.parametrize("report", sorted(REPORTS))
def test_every_report_parser_turns_zeros_into_a_parse_error(report):
    expected = "unreadable CSV" if REPORTS[report].member == "csv" else f"not an {REPORTS[report].member} workbook"
    with pytest.raises(ParseError, match=expected):
        REPORTS[report].parser(bytes(1 << 20), "doc.csv", None)


def test_rows_keep_their_file_line_numbers_across_blank_lines():
    table = read_table((LOAD_WZ_HEADER + "\n\n" + "11/17/2023,01:00" + ",1" * 9 + ",N\n").encode(), "doc.csv")
    assert table.lines.tolist() == [3]
