"""The yearly DAM hub and load-zone price workbook (report 13060): golden file on a real excerpt, every bad input."""

from __future__ import annotations

import io
import re
from collections.abc import Callable

import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gridflow.errors import ParseError
from gridflow.replay.ercot_mis import zip_bytes
from gridflow.sources import safe_zip
from gridflow.sources.ercot import yearly_workbook
from gridflow.sources.ercot.listing import document_from_name
from gridflow.sources.ercot.reports import get_report
from gridflow.sources.ercot.yearly_workbook import parse_dam_hub_prices_yearly
from tests.unit.sources.ercot.golden_io import FIXTURES, as_text, read_golden

EXCERPT = FIXTURES / "dam_hub_prices_yearly_2021_excerpt.xlsx"
NAME = "rpt.00013060.0000000000000000.DAMLZHBSPP_2021.xlsx"


def parsed(data: bytes | None = None, source: str = NAME, **kwargs):
    return parse_dam_hub_prices_yearly(EXCERPT.read_bytes() if data is None else data, source, **kwargs)


def edited(change: Callable[[openpyxl.Workbook], None]) -> bytes:
    """The excerpt with `change` applied, saved again as xlsx bytes."""
    book = openpyxl.load_workbook(EXCERPT)
    change(book)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def row_of(sheet, day: str, hour: str, point: str = "HB_NORTH", flag: str = "N") -> int:
    for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
        if row[:4] == (day, hour, flag, point):
            return number
    raise AssertionError(f"no row {day} {hour} {flag} {point}")


def test_golden():
    result = parsed()
    pd.testing.assert_frame_equal(as_text(result.frame), read_golden("dam_hub_prices_yearly_2021_excerpt.csv"))
    assert result.issues == [] and result.rows_read == 768


def test_hand_checked_rows():
    frame = parsed().frame
    assert set(frame.market) == {"ERCOT_DAM"} and set(frame.node) == {"HB_NORTH", "LZ_HOUSTON"}
    north = frame[frame.node == "HB_NORTH"].set_index("interval_start_local")
    # 01/01/2021 HE01 is 00:00 CST = 06:00 UTC.
    assert str(north.loc[pd.Timestamp("2021-01-01 00:00"), "interval_start_utc"]) == "2021-01-01 06:00:00+00:00"
    # Winter Storm Uri: the real Feb 15 prices run to thousands of dollars (the year's peak, 9052.53, is another day).
    peak = frame.loc[frame.price_usd_per_mwh.idxmax()]
    assert (peak.price_usd_per_mwh, peak.interval_start_local.date()) == (7896.6, pd.Timestamp("2021-02-15").date())


def test_fall_back_repeated_hour_is_two_instants():
    frame = parsed().frame
    north = frame[(frame.node == "HB_NORTH") & (frame.interval_start_local.dt.date == pd.Timestamp("2021-11-07").date())]
    assert len(north) == 25
    repeated = north[north.interval_start_local == pd.Timestamp("2021-11-07 01:00")]
    # HE 02:00 flag N (27.57) is the CDT hour, the flagged repeat (28.59) the CST one.
    assert [str(t) for t in repeated.interval_start_utc] == ["2021-11-07 06:00:00+00:00", "2021-11-07 07:00:00+00:00"]
    assert list(repeated.is_dst) == [True, False] and list(repeated.price_usd_per_mwh) == [27.57, 28.59]


def test_spring_forward_day_has_23_hours():
    frame = parsed().frame
    day = frame[(frame.node == "LZ_HOUSTON") & (frame.interval_start_local.dt.date == pd.Timestamp("2021-03-14").date())]
    assert len(day) == 23 and pd.Timestamp("2021-03-14 02:00") not in set(day.interval_start_local)
    assert (day.interval_start_utc.diff().dropna() == pd.Timedelta(hours=1)).all()
    assert list(day.is_dst[:2]) == [False, False] and day.is_dst[2:].all()


def test_filter_on_settlement_points():
    result = parsed(only=["HB_NORTH", "HB_NOPE"])
    assert set(result.frame.node) == {"HB_NORTH"} and "HB_NOPE" in result.issues[0]


def _set(sheet: str, cell: str, value: object) -> Callable[[openpyxl.Workbook], None]:
    def change(book: openpyxl.Workbook) -> None:
        book[sheet][cell] = value
    return change


def _at(sheet: str, day: str, hour: str, column: str, value: object, flag: str = "N") -> Callable:
    def change(book: openpyxl.Workbook) -> None:
        book[sheet][f"{column}{row_of(book[sheet], day, hour, flag=flag)}"] = value
    return change


def _append(sheet: str, row: tuple) -> Callable:
    return lambda book: book[sheet].append(row)


def _remove(sheet: str) -> Callable:
    return lambda book: book.remove(book[sheet])


def _move(sheet: str, offset: int) -> Callable:
    return lambda book: book.move_sheet(sheet, offset)


BAD = {
    "wrong header": (_set("Mar", "A1", "Oper Day"), "sheet Mar: row 1: wrong header 'Oper Day | Hour Ending"),
    "header missing a column": (_set("Jan", "E1", None), "sheet Jan: row 1: wrong header"),
    "missing sheet": (_remove("Dec"), "missing sheet(s) Dec: the workbook has only Jan, Feb"),
    "missing sheet in the middle": (_remove("Jun"), "sheet 6 is 'Jul', expected 'Jun'"),
    "extra sheet": (lambda b: b.create_sheet("Notes"), "extra sheet(s) after Dec: Notes"),
    "sheets out of order": (_move("Mar", -1), "sheet 2 is 'Mar', expected 'Feb'"),
    "non-numeric price": (_at("Mar", "03/13/2021", "05:00", "E", "n/a"),
                          "sheet Mar: Settlement Point Price must be a finite number; 1 bad value(s), e.g. row "),
    "boolean price": (_at("Apr", "04/01/2021", "05:00", "E", True), "must be a finite number"),
    "empty price": (_at("Apr", "04/01/2021", "05:00", "E", " "), "sheet Apr: row "),
    "bad date": (_at("May", "05/01/2021", "07:00", "A", "2021-05-01"), "sheet May: Delivery Date must be MM/DD/YYYY"),
    "date of another month": (_at("May", "05/01/2021", "07:00", "A", "06/01/2021"),
                              "Delivery Date '06/01/2021' is not in May 2021"),
    "bad hour": (_at("Jun", "06/01/2021", "07:00", "B", "25:00"), "sheet Jun: HourEnding must be 01:00..24:00"),
    "bad flag": (_at("Jun", "06/01/2021", "07:00", "C", "X"), "sheet Jun: DSTFlag must be Y or N"),
    "duplicate key": (_append("Jul", ("07/01/2021", "05:00", "N", "HB_NORTH", 1.0)), "duplicate key HB_NORTH at 07/01/2021 04:00"),
    "repeated hour without its flag": (_at("Nov", "11/07/2021", "02:00", "C", "N", flag="Y"),
                                       "sheet Nov: line 52: DST repeated hour without flag"),
    "flag on an hour that is not repeated": (_at("Nov", "11/08/2021", "02:00", "C", "Y"),
                                             "DSTFlag=Y on hour starting 2021-11-08 01:00:00"),
    "spring-forward hour that does not exist": (_append("Mar", ("03/14/2021", "03:00", "N", "HB_NORTH", 1.0)),
                                                "(spring-forward gap)"),
    "extra cell": (_set("Aug", "F3", "x"), "sheet Aug: row 3: 6 cells, the header has 5"),
    "empty sheet": (lambda b: b["Sep"].delete_rows(2, 100), "sheet Sep: no data rows after the header"),
}


@pytest.mark.parametrize("case", BAD)
def test_bad_workbook_names_sheet_and_row(case):
    change, message = BAD[case]
    with pytest.raises(ParseError, match=re.escape(message)):
        parsed(edited(change))


def test_year_comes_from_the_document_name():
    with pytest.raises(ParseError, match=re.escape("sheet Jan: row 2: Delivery Date '01/01/2021' is not in Jan 2022")):
        parsed(source="rpt.00013060.0000000000000000.20230101.080304120.DAMLZHBSPP_2022.zip:DAMLZHBSPP_2022.xlsx")
    assert len(parsed(source="no year in this name").frame) == 768  # then the first date's year


@pytest.mark.parametrize(("body", "message"), [
    (b"", "not an xlsx workbook (starts with b'')"),
    (b"<!DOCTYPE html><html><title>Maintenance</title>", "not an xlsx workbook"),
    (b"PK\x03\x04" + b"\x00" * 200, "truncated or corrupt xlsx workbook (204 bytes)"),
])
def test_garbage_bytes(body, message):
    with pytest.raises(ParseError, match=re.escape(message)):
        parsed(body)


def test_truncated_workbook():
    data = EXCERPT.read_bytes()
    with pytest.raises(ParseError, match="truncated or corrupt xlsx workbook"):
        parsed(data[: len(data) // 2])


def test_package_inflating_past_the_cap_is_refused(monkeypatch):
    monkeypatch.setattr(yearly_workbook, "MAX_INFLATED_BYTES", 10_000)
    with pytest.raises(safe_zip.UnsafeZipError, match=r"xlsx declares \d+ uncompressed bytes, above the cap of 10000"):
        parsed()


def test_published_zip_holds_the_workbook():
    body = zip_bytes({NAME: EXCERPT.read_bytes()})
    member = safe_zip.extract_member(body, "doc", extension="xlsx")
    assert member.name == NAME and len(parsed(member.data).frame) == 768
    with pytest.raises(ParseError, match=r"truncated or corrupt ZIP"):
        safe_zip.extract_member(body[: len(body) // 2], "doc", extension="xlsx")
    with pytest.raises(ParseError, match=re.escape("ZIP holds no XLSX member (members: a.csv)")):
        safe_zip.extract_member(zip_bytes({"a.csv": b"x"}), "doc", extension="xlsx")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cut=st.integers(min_value=0, max_value=29_000))
def test_any_truncation_is_a_parse_error(cut):
    data = EXCERPT.read_bytes()
    with pytest.raises(ParseError):
        parsed(data[: min(cut, len(data) - 1)])


@settings(max_examples=25, deadline=None)
@given(body=st.binary(max_size=2_000))
def test_arbitrary_bytes_are_a_parse_error(body):
    with pytest.raises(ParseError):
        parsed(b"PK\x03\x04" + body)


def test_report_registered_with_its_archive_names():
    spec = get_report(13060)
    assert (spec.key, spec.dataset, spec.member, spec.table.name) == (
        "dam_hub_prices_yearly", "ercot_dam_hub_prices_yearly", "xlsx", "market_price")
    assert spec.matches("DAMLZHBSPP_2021") and not spec.matches("DAMSPNP4190_csv")
    # The real constructed name of a yearly archive (rpt., not cdr.) carries its publish time.
    doc = document_from_name("1276779821", "rpt.00013060.0000000000000000.20260920.080303414.DAMLZHBSPP_2026.zip")
    assert (doc.report_type_id, doc.friendly_name, f"{doc.published_at_utc:%Y-%m-%d %H:%M:%S}") == (
        13060, "DAMLZHBSPP_2026", "2026-09-20 13:03:03")
