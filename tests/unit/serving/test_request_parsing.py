"""Prediction bodies in both MLflow serving forms, checked against a signature without a server."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gridflow.serving import parsing
from gridflow.serving.parsing import (
    RequestError,
    check_declared_size,
    check_size,
    parse_records,
    to_frame,
)

TYPES = {"hydrogen_ppm": "double", "age_years": "long", "site": "string"}


def _body(payload) -> bytes:
    return json.dumps(payload).encode()


def test_split_and_records_give_the_same_frame_in_signature_order():
    split = parse_records(_body({"dataframe_split": {
        "columns": ["site", "age_years", "hydrogen_ppm"], "data": [["A", 12, 2845], ["B", 3.0, None]]}}))
    records = parse_records(_body({"dataframe_records": [
        {"hydrogen_ppm": 2845, "age_years": 12, "site": "A"}, {"site": "B", "age_years": 3, "hydrogen_ppm": None}]}))
    left, right = to_frame(split, TYPES, 10), to_frame(records, TYPES, 10)
    assert list(left.columns) == list(TYPES)
    assert left.equals(right)
    assert str(left["hydrogen_ppm"].dtype) == "float64" and str(left["age_years"].dtype) == "int64"
    assert left["hydrogen_ppm"].isna().tolist() == [False, True]


@pytest.mark.parametrize(("rows", "missing", "extra", "mistyped"), [
    ([{"hydrogen_ppm": 1.0, "site": "A"}], ["age_years"], [], {}),
    ([{"hydrogen_ppm": 1.0, "age_years": 2, "site": "A", "color": "red"}], [], ["color"], {}),
    ([{"hydrogen_ppm": "high", "age_years": 2.5, "site": 7}], [], [],
     {"hydrogen_ppm": "double", "age_years": "long", "site": "string"}),
    ([{"hydrogen_ppm": True, "age_years": 2, "site": "A"}], [], [], {"hydrogen_ppm": "double"}),
    ([{"hydrogen_ppm": 1.0, "age_years": 2, "site": "A"}, {"hydrogen_ppm": 1.0, "site": "A"}], ["age_years"], [], {}),
])
def test_a_bad_row_is_a_422_naming_its_columns(rows, missing, extra, mistyped):
    with pytest.raises(RequestError) as caught:
        to_frame(rows, TYPES, 10)
    error = caught.value
    assert error.status == 422
    assert (error.missing, error.extra, error.mistyped) == (missing, extra, mistyped)
    for column in [*missing, *extra, *mistyped]:
        assert column in error.message and column in json.dumps(error.detail())


def test_limits_answer_413():
    rows = [{"hydrogen_ppm": 1.0, "age_years": 2, "site": "A"}] * 3
    assert len(to_frame(rows, TYPES, 3)) == 3
    with pytest.raises(RequestError) as caught:
        to_frame(rows, TYPES, 2)
    assert caught.value.status == 413
    check_size(b"x" * 10, 10)
    with pytest.raises(RequestError) as caught:
        check_size(b"x" * 11, 10)
    assert caught.value.status == 413
    check_declared_size("10", 10)
    check_declared_size(None, 10)
    check_declared_size("junk", 10)
    with pytest.raises(RequestError) as caught:
        check_declared_size("11", 10)
    assert caught.value.status == 413


@pytest.mark.parametrize("body", [
    b"not json", b"[1, 2]", b"{}", _body({"dataframe_split": {}, "dataframe_records": []}),
    _body({"dataframe_records": [1, 2]}), _body({"dataframe_split": {"columns": ["a"]}}),
])
def test_malformed_bodies_are_400(body):
    with pytest.raises(RequestError) as caught:
        parse_records(body)
    assert caught.value.status == 400


def test_split_rows_must_match_the_columns():
    with pytest.raises(RequestError) as caught:
        parse_records(_body({"dataframe_split": {"columns": ["a", "b"], "data": [[1]]}}))
    assert caught.value.status == 422 and "row 0" in caught.value.message


def test_no_rows_is_a_422():
    with pytest.raises(RequestError) as caught:
        to_frame([], TYPES, 10)
    assert caught.value.status == 422


JSON_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-10**12, 10**12),
                         st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=5))


@given(values=st.lists(JSON_SCALARS, max_size=8),
       kind=st.sampled_from(["double", "float", "long", "integer", "boolean", "string", "datetime", "binary"]))
@settings(max_examples=500, deadline=None)
def test_the_fast_type_check_agrees_with_the_full_one(values, kind):
    # The per-column set lookup only short-cuts what `_fits` would say value by value.
    assert parsing._all_fit(values, kind) == all(parsing._fits(value, kind) for value in values)
