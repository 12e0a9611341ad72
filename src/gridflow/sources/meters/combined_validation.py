"""When one suite run over several files' rows can stand for one run per file.

Great Expectations spends ~6 ms of bookkeeping per expectation per run whatever the batch size: on
a 35k-row meter-year that was ~75 ms against a few ms of actual checking, ~20 s for a drop of
300 meters. The meter suite's expectations are all of a kind that, when it holds for a union of
batches, holds for each batch (row-wise checks, uniqueness, an upper bound on a maximum), so one
passing run over several files proves that each file passes. A failing run proves nothing about
any single file: callers then validate file by file and each file's own report decides.
"""

from __future__ import annotations

from typing import Any

# Schema checks: every part's view is built by the same function, so has the union's columns.
_SCHEMA = frozenset({
    "expect_table_columns_to_match_set",
    "expect_table_columns_to_match_ordered_list",
    "expect_table_column_count_to_equal",
    "expect_column_to_exist",
})
# Each row is judged on its own values: a row unexpected in a part is unexpected in the union.
_ROW_WISE = frozenset({
    "expect_column_values_to_not_be_null",
    "expect_column_values_to_be_null",
    "expect_column_values_to_be_in_set",
    "expect_column_values_to_not_be_in_set",
    "expect_column_values_to_be_between",
    "expect_column_values_to_match_regex",
    "expect_column_values_to_not_match_regex",
    "expect_column_value_lengths_to_be_between",
    "expect_column_value_lengths_to_equal",
    "expect_column_pair_values_to_be_equal",
    "expect_column_pair_values_a_to_be_greater_than_b",
    "expect_select_column_values_to_be_unique_within_record",
    # A key repeated inside one part is repeated in the union.
    "expect_column_values_to_be_unique",
    "expect_compound_columns_to_be_unique",
})


def combined_pass_implies_each(suite: dict[str, Any], smallest_part_rows: int) -> bool:
    """Whether `suite` passing on the concatenation of several parts (the same columns, each with
    at least `smallest_part_rows` rows) proves that it passes on each part alone."""
    expectations = suite.get("expectations", [])
    not_null = {e["kwargs"].get("column") for e in expectations
                if e["type"] == "expect_column_values_to_not_be_null" and _strict(e["kwargs"])}
    return all(_holds_for_parts(e["type"], e.get("kwargs", {}), smallest_part_rows, not_null)
               for e in expectations)


def _strict(kwargs: dict[str, Any]) -> bool:
    # `mostly`: a share over the union says nothing about the share in one part.
    return kwargs.get("mostly") is None or kwargs["mostly"] >= 1


def _holds_for_parts(kind: str, kwargs: dict[str, Any], smallest_part_rows: int, not_null: set) -> bool:
    if not _strict(kwargs):
        return False
    if kind in _SCHEMA or kind in _ROW_WISE:
        return True
    if kind in ("expect_column_max_to_be_between", "expect_column_min_to_be_between"):
        # Only the bound on the outer side carries over (max(union) <= M implies max(part) <= M),
        # and only if no part can be all null, where the part's own maximum would be undefined.
        outer_only = kwargs.get("min_value" if kind.startswith("expect_column_max") else "max_value") is None
        return outer_only and kwargs.get("column") in not_null
    if kind == "expect_table_row_count_to_be_between":
        return kwargs.get("max_value") is None and smallest_part_rows >= (kwargs.get("min_value") or 0)
    return False
