"""The shipped meter suite on a real SMT excerpt: each fault is caught, alone and when the file is
validated together with good files (which is what lets one run stand for one per file)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gridflow.sources.meters import parse_meter_file
from gridflow.sources.meters.combined_validation import combined_pass_implies_each
from gridflow.sources.meters.validation_view import combined_validation_view, meter_validation_view
from gridflow.validation.gx_adapter import load_suite_dict, validate_frame

FIX = Path(__file__).resolve().parents[3] / "fixtures" / "meters"
NOW = datetime(2026, 11, 23, tzinfo=UTC)


@pytest.fixture(scope="module")
def good() -> pd.DataFrame:
    return parse_meter_file(FIX / "smt_interval_15min_IntervalData_dst_days_excerpt_esiid_masked.csv").frame


def as_meter(frame: pd.DataFrame, meter: str) -> pd.DataFrame:
    out = frame.copy()
    out["meter_id"] = pd.Categorical([meter] * len(out))
    return out


def _set(column: str, value):
    def fault(frame: pd.DataFrame) -> pd.DataFrame:
        out = frame.copy()
        values = out[column].astype(object).tolist()
        values[3] = value
        categorical = isinstance(out[column].dtype, pd.CategoricalDtype)
        out[column] = pd.Series(values, dtype=object if categorical else out[column].dtype)
        return out
    return fault


def _shift(column: str, delta: pd.Timedelta):
    def fault(frame: pd.DataFrame) -> pd.DataFrame:
        out = frame.copy()
        out.loc[3, column] = out.loc[3, column] + delta
        return out
    return fault


FAULTS = {
    "unknown channel": (_set("channel", "export"), "expect_column_values_to_be_in_set"),
    "odd interval length": (_set("interval_minutes", 7), "expect_column_values_to_be_in_set"),
    "implausible kWh": (_set("kwh", 2000.0), "expect_column_values_to_be_between"),
    "missing kWh": (_set("kwh", np.nan), "expect_column_values_to_not_be_null"),
    "missing meter": (_set("meter_id", None), "expect_column_values_to_not_be_null"),
    "wrong time zone": (_shift("interval_start_local", pd.Timedelta(hours=8)), "expect_column_values_to_be_in_set"),
    "future interval": (_shift("interval_start_utc", pd.Timedelta(days=3650)), "expect_column_max_to_be_between"),
    "duplicate key": (lambda f: pd.concat([f, f.iloc[[5]]], ignore_index=True),
                      "expect_compound_columns_to_be_unique"),
}


def test_the_clean_excerpt_passes_alone_and_with_others(good):
    assert validate_frame(meter_validation_view(good, NOW), "meter_interval").success
    parts = [good, as_meter(good, "M2"), as_meter(good, "M3")]
    assert validate_frame(combined_validation_view(parts, NOW), "meter_interval").success


@pytest.mark.parametrize("name", FAULTS)
def test_each_fault_fails_alone_and_fails_the_combined_run(good, name):
    fault, expectation = FAULTS[name]
    bad = fault(as_meter(good, "M2"))
    alone = validate_frame(meter_validation_view(bad, NOW), "meter_interval")
    assert not alone.success and expectation in {f.expectation for f in alone.failures}
    together = validate_frame(combined_validation_view([good, bad, as_meter(good, "M3")], NOW), "meter_interval")
    assert not together.success and expectation in {f.expectation for f in together.failures}


def test_an_empty_file_fails_alone_and_is_never_validated_only_in_company(good):
    empty = good.iloc[:0]
    assert not validate_frame(meter_validation_view(empty, NOW), "meter_interval").success
    # The union of an empty part and a good one has rows: no combined pass may vouch for it.
    assert not combined_pass_implies_each(load_suite_dict("meter_interval"), smallest_part_rows=0)
    assert combined_pass_implies_each(load_suite_dict("meter_interval"), smallest_part_rows=1)


def test_the_combined_view_keeps_every_row_and_column(good):
    parts = [good, as_meter(good, "M2")]
    view = combined_validation_view(parts, NOW)
    alone = meter_validation_view(good, NOW)
    assert list(view.columns) == list(alone.columns) and len(view) == 2 * len(good)
    assert isinstance(view["meter_id"].dtype, pd.CategoricalDtype)
    assert view["meter_id"].astype(str).value_counts().to_dict() == {good["meter_id"].iloc[0]: len(good),
                                                                       "M2": len(good)}
    pd.testing.assert_frame_equal(view.iloc[:len(good)].astype({"meter_id": str}),
                                  alone.astype({"meter_id": str}))


def suite(*expectations: dict) -> dict:
    return {"name": "s", "expectations": list(expectations)}


def exp(kind: str, **kwargs) -> dict:
    return {"type": kind, "kwargs": kwargs}


@pytest.mark.parametrize(("expectations", "smallest", "implied"), [
    ([exp("expect_column_values_to_be_between", column="x", min_value=0)], 1, True),
    ([exp("expect_column_values_to_be_between", column="x", min_value=0, mostly=0.95)], 1, False),
    ([exp("expect_compound_columns_to_be_unique", column_list=["a", "b"])], 1, True),
    ([exp("expect_table_row_count_to_be_between", min_value=10)], 9, False),
    ([exp("expect_table_row_count_to_be_between", min_value=10)], 10, True),
    ([exp("expect_table_row_count_to_be_between", min_value=1, max_value=100)], 50, False),
    ([exp("expect_column_max_to_be_between", column="x", max_value=0)], 1, False),  # a part may be all null
    ([exp("expect_column_values_to_not_be_null", column="x"),
      exp("expect_column_max_to_be_between", column="x", max_value=0)], 1, True),
    ([exp("expect_column_values_to_not_be_null", column="x"),
      exp("expect_column_max_to_be_between", column="x", min_value=-5, max_value=0)], 1, False),
    ([exp("expect_column_values_to_not_be_null", column="x"),
      exp("expect_column_min_to_be_between", column="x", min_value=0)], 1, True),
    ([exp("expect_column_mean_to_be_between", column="x", min_value=0, max_value=1)], 1, False),
    ([exp("expect_column_proportion_of_unique_values_to_be_between", column="x", min_value=0.5)], 1, False),
])
def test_which_expectations_carry_over_from_a_union_to_its_parts(expectations, smallest, implied):
    assert combined_pass_implies_each(suite(*expectations), smallest) is implied
