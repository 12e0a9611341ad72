"""Drift check history: append, read newest first, and the cool-down's last trigger time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from gridflow.warehouse.drift_checks import (
    check_history,
    last_trigger_at,
    mark_triggered,
    record_check,
    set_report_run,
)

T0 = datetime(2026, 3, 1, 7, 0, tzinfo=UTC)


def _record(conn, action="ok", model="load_forecast", at=T0, **kwargs):
    return record_check(conn, model_name=model, action=action, reason=f"{action} because", checked_at=at,
                        **kwargs)


def test_record_and_read_back_every_figure(db):
    with db.begin() as conn:
        check_id = _record(
            conn, "retrain", model_version=3, window_start_utc=T0 - timedelta(days=14), window_end_utc=T0,
            reference_rows=20_000, current_rows=336, drift_method="wasserstein", drift_threshold=0.1,
            drift_share=0.6, feature_scores={"lag_1d": 0.42, "hour": float("nan")},
            drifted_features=["lag_1d"], prediction_drift=0.5,
            accuracy={"mape": 9.1, "reference_mape": 6.0}, flow_run_id="abc",
        )
        set_report_run(conn, check_id, "run-1")
    with db.connect() as conn:
        (row,) = check_history(conn, "load_forecast")
    assert row["id"] == check_id
    assert row["model_version"] == "3"
    assert row["window_start_utc"] == T0 - timedelta(days=14)
    assert row["feature_scores"] == {"lag_1d": 0.42, "hour": None}  # NaN is not JSON: stored as null
    assert row["drifted_features"] == ["lag_1d"]
    assert row["accuracy"]["mape"] == 9.1
    assert row["triggered"] is False
    assert row["mlflow_run_id"] == "run-1"


def test_history_is_newest_first_per_model_and_limited(db):
    with db.begin() as conn:
        ids = [_record(conn, at=T0 + timedelta(days=i)) for i in range(5)]
        _record(conn, model="other")
    with db.connect() as conn:
        rows = check_history(conn, "load_forecast", limit=3)
    assert [r["id"] for r in rows] == ids[::-1][:3]


def test_last_trigger_counts_only_triggered_checks(db):
    with db.begin() as conn:
        assert last_trigger_at(conn, "load_forecast") is None
        first = _record(conn, "retrain", at=T0)
        _record(conn, "retrain", at=T0 + timedelta(hours=5))  # decided retrain, event never sent
        _record(conn, "warn", at=T0 + timedelta(hours=6))
        mark_triggered(conn, first)
        other = _record(conn, "retrain", model="other", at=T0 + timedelta(hours=9))
        mark_triggered(conn, other)
    with db.connect() as conn:
        assert last_trigger_at(conn, "load_forecast") == T0
        assert last_trigger_at(conn, "other") == T0 + timedelta(hours=9)


@pytest.mark.parametrize(("action", "reason"), [("explode", "why"), ("ok", "  ")])
def test_refuses_unknown_action_or_empty_reason(db, action, reason):
    with db.begin() as conn, pytest.raises(ValueError):
        record_check(conn, model_name="m", action=action, reason=reason)
