"""The transformer DGA parser: golden output, renamed columns, ids by row order, precise errors."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from gridflow.errors import ParseError
from gridflow.sources.transformer_dga import HEADER, READING_COLUMNS, parse_transformer_csv

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "transformer"
SHIPPED = Path(__file__).resolve().parents[3] / "data" / "transformer" / "transformer_health_index.csv"


def test_golden_first_five_rows():
    parsed = parse_transformer_csv(FIXTURES / "health_index_first5.csv")
    expected = pd.read_csv(FIXTURES / "health_index_first5.expected.csv")
    assert list(parsed.frame.columns) == READING_COLUMNS
    pd.testing.assert_frame_equal(parsed.frame.drop(columns="sampled_at_utc"), expected, check_dtype=False)
    assert parsed.frame["sampled_at_utc"].isna().all()
    assert str(parsed.frame["sampled_at_utc"].dtype) == "datetime64[ns, UTC]"
    assert parsed.rows_read == 5 and parsed.issues == []


def test_the_shipped_file_parses_with_unique_ids_in_row_order():
    frame = parse_transformer_csv(SHIPPED).frame
    assert len(frame) == 470
    assert frame["asset_id"].iloc[[0, -1]].tolist() == ["TX-0001", "TX-0470"]
    assert frame["reading_id"].is_unique
    assert frame["health_index"].between(0, 100).all()


def test_a_wrong_header_is_refused():
    text = ",".join(["Oxygen" if h == "Oxigen" else h for h in HEADER]) + "\n" + ",".join("1" * len(HEADER)) + "\n"
    with pytest.raises(ParseError, match="line 1: header"):
        parse_transformer_csv(text, name="fixed_spelling.csv")


def test_a_non_numeric_value_names_its_line_column_and_value():
    rows = (FIXTURES / "health_index_first5.csv").read_text().splitlines()
    rows[3] = rows[3].replace(",144,", ",n/a,", 1)  # line 4: Methane
    with pytest.raises(ParseError, match=r"line 4: column 'Methane' has non-numeric value 'n/a'"):
        parse_transformer_csv("\n".join(rows), name="bad.csv")


def test_a_short_row_is_refused():
    text = ",".join(HEADER) + "\n1,2,3\n"
    with pytest.raises(ParseError, match="line 2: 3 fields, expected 16"):
        parse_transformer_csv(text)
