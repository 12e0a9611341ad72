"""The drift check's markdown names the event it sent and the figures it decided on."""

from __future__ import annotations

from gridflow import events
from gridflow.monitoring.decision import MonitorDecision, no_champion
from gridflow.monitoring.report import render_check_markdown
from gridflow.monitoring.types import Champion, CheckRecord, DriftMeasure


def test_retrain_verdict_links_event_drift_and_accuracy():
    drift = DriftMeasure("wasserstein", 0.1, {"lag_1d": 0.4, "week_mean": 0.05}, ["lag_1d"], 900, 336,
                         prediction_drift=0.3)
    markdown = render_check_markdown(
        "load_forecast", MonitorDecision("retrain", "drift share 50% >= 50% (lag_1d)", 0.5, 0.3),
        CheckRecord(7, "run-1", "http://mlflow/run-1"), Champion("2", "run-0", None, {}, {}), drift,
        {"metric": "mape", "rows": 336, "current": {"mape": 9.0, "rmse": 1200.0}, "current_error": 9.0,
         "reference_error": 6.0, "reference_source": "holdout_mape"},
        "event-1",
    )
    assert markdown.startswith("# load_forecast v2: RETRAIN")
    assert f"event `{events.DRIFT_DETECTED}` `event-1`" in markdown
    assert "| lag_1d | 0.4 | yes |" in markdown
    assert "mape 9 vs 6 (holdout_mape)" in markdown
    assert "drift_check row 7" in markdown and "[MLflow run run-1](http://mlflow/run-1)" in markdown


def test_no_champion_check_is_a_short_warning():
    markdown = render_check_markdown("outage_risk", no_champion(), CheckRecord(1, None, None), None, None, None, None)
    assert markdown.startswith("# outage_risk (none): WARN")
    assert "Drift" not in markdown and "HTML report" not in markdown


def test_retrain_verdict_names_the_run_it_started():
    from gridflow.monitoring.history import CausedRun
    from gridflow.monitoring.report import retrain_line

    # Created by the automation, the run carries a random name until it starts and names itself.
    caused = CausedRun("http://ui/events/event/2026-01-05/event-1", "run-9", "http://ui/runs/flow-run/run-9",
                       {"model": "load_forecast", "trigger": "drift: share 60%"})
    line = retrain_line("load_forecast", "event-1", caused)
    assert f"[event `{events.DRIFT_DETECTED}` `event-1`](http://ui/events/event/2026-01-05/event-1)" in line
    assert "started the retrain run [retrain-load_forecast-drift](http://ui/runs/flow-run/run-9)" in line
    assert "(id `run-9`)" in line
    waiting = retrain_line("load_forecast", "event-1", None)
    assert "No run started by it was found yet" in waiting and "`event-1`" in waiting
