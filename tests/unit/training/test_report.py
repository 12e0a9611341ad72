"""The evaluation report names what was recorded beside the gate's metric (the band's coverage)."""

from __future__ import annotations

from gridflow.registry.gate import GateDecision
from gridflow.registry.mlflow_registry import LoggedModel
from gridflow.registry.promotion import AliasMove
from gridflow.training.report import render_evaluation_markdown
from gridflow.usecases.base import Evaluation

EVALUATION = Evaluation("2015-01-01", "2018-08-03", 31_439, {"mape": 3.95}, {"mape": 10.54})
DECISION = GateDecision(True, "mape", 3.95, None, 10.54, "1", None, "no champion yet")
MOVE = AliasMove("load_forecast", "promote", None, "1", 1, "no champion yet")


def _render(logged: LoggedModel) -> str:
    return render_evaluation_markdown("load_forecast", EVALUATION, DECISION, logged, MOVE, "test", "http://mlflow",
                                      baseline_label="seasonal-naive baseline", rows_label="hourly targets")


def test_recorded_interval_figures_appear_beside_the_gate_metric():
    logged = LoggedModel("run", "1", "load_forecast", "1",
                         recorded={"holdout_coverage_p10_p90": 0.771, "holdout_pinball_mean": 405.9})
    text = _render(logged)
    assert "Recorded beside the gate's metric: holdout_coverage_p10_p90 0.771, holdout_pinball_mean 405.9" in text
    assert "**Gate decision:** promote" in text


def test_a_model_without_recorded_figures_has_no_such_line():
    assert "Recorded beside" not in _render(LoggedModel("run", "1", "outage_risk", "1"))


def test_the_report_links_the_model_card_and_every_plot():
    logged = LoggedModel("run", "1", "load_forecast", "1")
    text = render_evaluation_markdown(
        "load_forecast", EVALUATION, DECISION, logged, MOVE, "test", "http://mlflow",
        baseline_label="seasonal-naive baseline", rows_label="hourly targets",
        model_card_url="http://mlflow/#/experiments/1/runs/run/artifactPath/model_card.md",
        card_artifact_url="http://prefect/artifacts/artifact/a-1",
        plots=[("plots/PJME_error_by_hour.png", "http://mlflow/#/h"), ("plots/feature_importance.png", "http://m/#/f")])
    section = text.split("## Model card and plots\n\n", 1)[1]
    assert section.splitlines()[:3] == [
        "- [Model card of v1](http://mlflow/#/experiments/1/runs/run/artifactPath/model_card.md) "
        "(model_card.md in the MLflow run) · [as a Prefect artifact](http://prefect/artifacts/artifact/a-1)",
        "- [PJME_error_by_hour.png](http://mlflow/#/h)",
        "- [feature_importance.png](http://m/#/f)",
    ]
    assert "## Model card and plots" not in _render(logged)  # nothing to link, no section
