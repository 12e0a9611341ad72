"""The model card reads alone: decision, data, features, metrics against champion and baseline,
plots, gate, approval, lineage and limits, from one typed record."""

from __future__ import annotations

from dataclasses import replace

import pytest

from gridflow.training.card_log import approval_record
from gridflow.training.model_card import (
    ApprovalRecord,
    DataRecord,
    GateRecord,
    Lineage,
    ModelCard,
    Plot,
    render_model_card,
)
from gridflow.usecases.base import Evaluation

EVALUATION = Evaluation(
    "2015-01-01 00:00:00+00:00", "2018-08-03 04:00:00+00:00", 31_439,
    challenger={"mape": 3.948, "rmse": 1741.2}, baseline={"mape": 10.538, "rmse": 4645.0},
    champion={"mape": 4.09, "rmse": 1802.0}, champion_version="1",
    backtest=[{"fold": 0, "model_mape": 3.7, "naive_mape": 10.1}],
)
GATE = GateRecord(
    metric="mape", greater_is_better=False, min_relative_improvement=0.01, min_improvement_over_baseline=0.0,
    verdict="promote", verdict_reason="challenger mape 3.948 vs champion 4.09: +3.47% better",
    final_action="promote", final_reason="challenger mape 3.948 vs champion 4.09: +3.47% better",
    champion_before="1", champion_after="2", audit_id=7,
)
CARD = ModelCard(
    model="load_forecast", version="2", purpose="Day-ahead hourly load forecast per zone.",
    written_utc="2026-12-07 21:30:00 UTC",
    data=DataRecord(dataset="pjm_load", source="sqlite:///w.db#pjm_load", digest="9f2c1d", train_start_utc="2002-01-15",
                    train_end_utc="2014-12-31", train_rows=113_000, validation_status="passed",
                    validation_summary="suite 'pjm_load': all 9 expectations passed on 145366 rows",
                    features=["lag_1d", "hour", "temp_max_f"]),
    evaluation=EVALUATION, baseline_label="seasonal-naive baseline", rows_label="hourly targets",
    recorded={"holdout_coverage_p10_p90": 0.771}, gate=GATE, approval=ApprovalRecord(required=False),
    lineage=Lineage(git_commit="95dfda5", lock_sha256="ab12", trigger="drift: mape +52%",
                    prefect_flow_run_id="f-1", prefect_flow_run_name="retrain-load_forecast",
                    prefect_flow_run_url="http://127.0.0.1:4200/runs/flow-run/f-1", mlflow_experiment_id="1",
                    mlflow_run_id="r-1", mlflow_run_url="http://127.0.0.1:5000/#/experiments/1/runs/r-1"),
    plots=[Plot("plots/PJME_error_by_hour.png", "http://mlflow/page")],
    known_limits=("Day-ahead hourly load only.",),
)


def test_the_card_names_decision_data_metrics_and_lineage():
    text = render_model_card(CARD)
    assert text.startswith("# Model card: load_forecast version 2\n\nDay-ahead hourly load forecast per zone.")
    assert "**Decision:** v2 promoted to champion — challenger mape 3.948 vs champion 4.09: +3.47% better" in text
    assert "**Champion:** v1 before this run, v2 after it (audit row 7)." in text
    assert "| dataset | `pjm_load` from `sqlite:///w.db#pjm_load` |" in text
    assert "| content digest | `9f2c1d` |" in text
    assert "| training window (UTC) | 2002-01-15 → 2014-12-31, 113,000 rows |" in text
    assert "31,439 hourly targets" in text
    assert "| validation | passed: suite 'pjm_load': all 9 expectations passed on 145366 rows |" in text
    assert "## Features (3)\n\n`lag_1d`, `hour`, `temp_max_f`" in text
    assert "| metric | this version v2 | champion v1 | seasonal-naive baseline |" in text
    assert "| mape (gate) | 3.948 | 4.09 | 10.54 |" in text and "| rmse | 1,741 | 1,802 | 4,645 |" in text
    assert "holdout_coverage_p10_p90 0.771" in text
    assert "Rolling-origin backtest of the same estimator (1 folds)" in text
    assert "![PJME error by hour](plots/PJME_error_by_hour.png)" in text
    assert "[`plots/PJME_error_by_hour.png` in MLflow](http://mlflow/page)" in text
    assert "| code (git commit) | `95dfda5` |" in text and "| dependencies (requirements.lock sha256) | `ab12` |" in text
    assert "| Prefect flow run | [retrain-load_forecast](http://127.0.0.1:4200/runs/flow-run/f-1) (`f-1`) |" in text
    assert "| trigger | drift: mape +52% |" in text
    assert "[r-1](http://127.0.0.1:5000/#/experiments/1/runs/r-1) (experiment 1)" in text
    assert "## Known limits\n\n- Day-ahead hourly load only." in text
    assert "Not required for this model" in text
    # A card's sections come in the order a reviewer reads them.
    order = ["## Data", "## Features", "## Metrics", "## Plots", "## Gate decision", "## Approval", "## Lineage",
             "## Known limits"]
    assert [text.index(h) for h in order] == sorted(text.index(h) for h in order)


def test_images_can_be_served_from_elsewhere():
    text = render_model_card(CARD, image_root="http://mlflow/get-artifact?run_uuid=r-1&path=")
    assert "](http://mlflow/get-artifact?run_uuid=r-1&path=plots/PJME_error_by_hour.png)" in text


def test_a_rejection_keeps_the_champion_and_says_why_the_records_differ():
    moved = replace(GATE, final_action="reject", final_reason="champion moved from v1 to v3 since evaluation",
                    champion_before="3", champion_after="3")
    text = render_model_card(replace(CARD, gate=moved))
    assert "**Decision:** v2 not promoted — champion moved from v1 to v3 since evaluation" in text
    assert "**Champion:** v3 before this run, v3 after it" in text
    assert "**promote** — challenger mape" in text
    assert "recorded decision (the champion is checked again as it moves): **reject** — champion moved" in text


@pytest.mark.parametrize(("approval", "expected"), [
    (ApprovalRecord(required=True), "Required for this model, but not asked: the gate did not pass the version."),
    (ApprovalRecord(True, "approved", "ana", "2026-12-07T21:00:00+00:00", "looks right"),
     "**approved** by ana at 2026-12-07T21:00:00+00:00 — “looks right”"),
    (ApprovalRecord(True, "timed_out", "nobody", "2026-12-07T21:00:00+00:00", ""),
     "**timed_out** by nobody at 2026-12-07T21:00:00+00:00 (no comment)"),
])
def test_approval_says_who_when_and_what(approval, expected):
    assert f"## Approval\n\n{expected}" in render_model_card(replace(CARD, approval=approval))


def test_approval_is_read_from_the_version_tags_the_decision_sets():
    from gridflow.registry.approval import Approval

    answer = Approval.answered(True, "ana", "ok")
    assert approval_record(True, answer.tags()) == ApprovalRecord(True, "approved", "ana", answer.decided_at_utc, "ok")
    assert approval_record(False, {"gate.action": "promote"}) == ApprovalRecord(required=False)


def test_no_champion_and_no_plots_or_limits():
    first = replace(EVALUATION, champion=None, champion_version=None, backtest=[])
    text = render_model_card(replace(CARD, evaluation=first, plots=[], known_limits=(),
                                     gate=replace(GATE, champion_before=None)))
    assert "| metric | this version v2 | champion (none) | seasonal-naive baseline |" in text
    assert "| mape (gate) | 3.948 | – | 10.54 |" in text
    assert "**Champion:** (none) before this run, v2 after it" in text
    assert "## Plots" not in text and "Rolling-origin" not in text
    assert "None recorded for this use case." in text
