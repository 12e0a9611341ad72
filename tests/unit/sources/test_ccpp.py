"""The UCI CCPP parser: golden output, either header spelling, content keys, precise errors."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pytest

from gridflow.errors import ParseError
from gridflow.sources.ccpp import READING_COLUMNS, parse_ccpp_csv

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "ccpp"
GOLDEN = FIXTURES / "Folds5x2_pp_first5_and_a_repeat.csv"
SHIPPED = Path(__file__).resolve().parents[3] / "data" / "ccpp" / "Folds5x2_pp.csv"


def test_golden_first_five_rows_and_a_repeated_row():
    parsed = parse_ccpp_csv(GOLDEN)
    expected = pd.read_csv(FIXTURES / "Folds5x2_pp_first5_and_a_repeat.expected.csv")
    assert list(parsed.frame.columns) == READING_COLUMNS
    pd.testing.assert_frame_equal(parsed.frame, expected, check_dtype=False)
    assert parsed.rows_read == 7
    assert parsed.issues == ["1 row(s) repeat an earlier row exactly; kept as separate readings"]


def test_the_key_is_a_digest_of_the_values_as_numbers():
    digest = hashlib.sha256(b"8.34|40.77|1010.84|90.01|480.48").hexdigest()[:16]
    assert parse_ccpp_csv(GOLDEN).frame["reading_key"].iloc[0] == f"{digest}-1"
    # Trailing zeros and spaces do not change a number, so they do not change the key.
    text = "AT,V,AP,RH,EP\n8.340, 40.77,1010.840,90.01,480.480\n"
    assert parse_ccpp_csv(text).frame["reading_key"].iloc[0] == f"{digest}-1"


def test_the_shipped_file_has_9568_rows_and_41_repeats_kept_apart():
    parsed = parse_ccpp_csv(SHIPPED)
    frame = parsed.frame
    assert len(frame) == 9568 and frame["reading_key"].is_unique
    assert frame["reading_key"].str.endswith("-2").sum() == 41
    assert (frame["plant_id"] == "uci-ccpp").all()
    assert frame["net_output_mw"].between(420.26, 495.76).all()


def test_the_pe_spelling_and_another_row_order_give_the_same_keys():
    lines = SHIPPED.read_text().splitlines()
    sheet1_style = "\n".join(["AT,V,AP,RH,PE", *reversed(lines[1:])]) + "\n"
    reordered = parse_ccpp_csv(sheet1_style, plant_id="plant-b").frame
    original = parse_ccpp_csv(SHIPPED).frame
    assert set(reordered["reading_key"]) == set(original["reading_key"])
    assert (reordered["plant_id"] == "plant-b").all()


def test_a_wrong_header_is_refused_naming_both_spellings():
    with pytest.raises(ParseError, match=r"line 1: header \['AT', 'V', 'AP', 'RH', 'MW'\] is not .*'EP'.*'PE'"):
        parse_ccpp_csv("AT,V,AP,RH,MW\n1,2,3,4,5\n", name="renamed.csv")


def test_a_non_numeric_value_names_its_line_column_and_value():
    rows = GOLDEN.read_text().splitlines()
    rows[3] = rows[3].replace(",1007.15,", ",n/a,", 1)  # line 4: AP
    with pytest.raises(ParseError, match=r"bad.csv: line 4: column 'AP' has non-numeric value 'n/a'"):
        parse_ccpp_csv("\n".join(rows), name="bad.csv")


def test_a_non_finite_value_is_refused():
    with pytest.raises(ParseError, match=r"line 2: column 'RH' has non-finite value 'inf'"):
        parse_ccpp_csv("AT,V,AP,RH,PE\n1,2,3,inf,5\n")


def test_a_short_row_is_refused():
    with pytest.raises(ParseError, match="line 3: 3 fields, expected 5"):
        parse_ccpp_csv("AT,V,AP,RH,PE\n1,2,3,4,5\n1,2,3\n")


def test_a_header_without_rows_is_an_issue_not_an_error():
    parsed = parse_ccpp_csv("AT,V,AP,RH,EP\r\n\r\n")
    assert parsed.frame.empty and list(parsed.frame.columns) == READING_COLUMNS
    assert parsed.issues == ["the file has a header but no readings"]
