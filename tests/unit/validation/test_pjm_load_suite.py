"""The shipped `expectations/pjm_load.json` suite: loads, passes clean data, catches each fault."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest

from gridflow.validation.gx_adapter import EXPECTATIONS_DIR, load_suite_dict, validate_frame
from gridflow.validation.views import load_validation_view

NOW = datetime(2026, 11, 23, tzinfo=UTC)


def clean_load(hours: int = 2000, zone: str = "PJME") -> pd.DataFrame:
    utc = pd.date_range("2024-10-01", periods=hours, freq="h", tz="UTC")
    local = utc.tz_convert("America/New_York")
    return pd.DataFrame({
        "zone": pd.array([zone] * hours, dtype="string"),
        "interval_start_utc": utc,
        "interval_start_local": local.tz_localize(None),
        "is_dst": [bool(t.dst()) for t in local],
        "load_mw": 30_000 + 5_000 * np.sin(np.arange(hours) / 24 * 2 * np.pi),
    })


def run(frame: pd.DataFrame):
    return validate_frame(load_validation_view(frame, now_utc=NOW), "pjm_load")


def failed(report) -> set[tuple[str, str | None]]:
    return {(f.expectation, f.column) for f in report.failures}


def test_every_suite_file_loads_without_ids():
    files = sorted(EXPECTATIONS_DIR.glob("*.json"))
    assert files, "no suites shipped"
    for path in files:
        suite = load_suite_dict(path.stem)
        assert suite["name"] == path.stem
        assert all("id" not in e for e in suite["expectations"])
        assert all(e.get("meta", {}).get("why") for e in suite["expectations"]), path


def test_clean_batch_passes_across_dst_fall_back():
    report = run(clean_load())
    assert report.success, report.reason
    assert "all 11 expectations passed" in report.reason


@pytest.mark.parametrize(
    ("damage", "expected"),
    [
        pytest.param(lambda f: f.assign(load_mw=f.load_mw.where(f.index != 5, 0.0)),
                     ("expect_column_values_to_be_between", "load_mw"), id="zero-mw"),
        pytest.param(lambda f: f.assign(load_mw=f.load_mw.where(f.index != 5, np.nan)),
                     ("expect_column_values_to_not_be_null", "load_mw"), id="null-mw"),
        pytest.param(lambda f: pd.concat([f, f.iloc[[7]]]),
                     ("expect_compound_columns_to_be_unique", "zone,interval_start_utc"), id="duplicate-key"),
        pytest.param(lambda f: f.drop(index=range(50, 2000, 100)),
                     ("expect_column_values_to_be_between", "hours_since_previous"), id="1pct-hours-missing"),
        pytest.param(lambda f: f.drop(index=range(100, 400)),
                     ("expect_column_values_to_be_between", "hours_since_previous"), id="gap-longer-than-a-week"),
        pytest.param(lambda f: f.assign(interval_start_utc=f.interval_start_utc + pd.Timedelta(days=900)),
                     ("expect_column_max_to_be_between", "hours_ahead_of_validation"), id="future"),
        pytest.param(lambda f: f.assign(extra=1), ("expect_table_columns_to_match_set", None), id="extra-column"),
        pytest.param(lambda f: f.iloc[0:0], ("expect_table_row_count_to_be_between", None), id="empty"),
    ],
)
def test_each_fault_is_named(damage, expected):
    report = run(damage(clean_load()))
    assert not report.success
    assert expected in failed(report), report.reason
    assert "expectations failed" in report.reason
