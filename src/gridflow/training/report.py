"""The evaluation report: champion vs challenger vs baseline, the gate's decision and reason, links."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from gridflow.config import get_settings
from gridflow.registry import mlflow_registry as registry
from gridflow.registry.gate import GateDecision
from gridflow.registry.promotion import AliasMove
from gridflow.usecases.base import Evaluation, UseCase

if TYPE_CHECKING:
    from gridflow.training.results import RetrainResult


def evaluation_report(
    use_case: UseCase, evaluation: Evaluation, decision: GateDecision, logged: registry.LoggedModel,
    move: AliasMove, trigger: str,
) -> str:
    """The report of one retrain as markdown, with the use case's labels and a link to the MLflow run."""
    link = registry.run_url(get_settings().mlflow_ui_url, logged.experiment_id, logged.run_id)
    return render_evaluation_markdown(use_case.name, evaluation, decision, logged, move, trigger, link,
                                      baseline_label=use_case.baseline_label, rows_label=use_case.rows_label)


def render_evaluation_markdown(
    model: str, evaluation: Evaluation, decision: GateDecision, logged: registry.LoggedModel,
    move: AliasMove, trigger: str, mlflow_link: str, *, baseline_label: str, rows_label: str,
) -> str:
    """The evaluation report as markdown; the labels name the use case's baseline and evaluation rows."""
    champion = evaluation.champion or {}
    rows = [
        "| metric | challenger v{} | champion {} | {} |".format(
            logged.version, f"v{evaluation.champion_version}" if evaluation.champion_version else "(none)",
            baseline_label),
        "|---|---:|---:|---:|",
    ]
    for name in evaluation.challenger:
        rows.append(f"| {name} | {_num(evaluation.challenger.get(name))} | {_num(champion.get(name))} | "
                    f"{_num(evaluation.baseline.get(name))} |")
    lines = [
        f"# {model}: {decision.action.upper()} challenger v{logged.version}",
        "",
        f"**Gate decision:** {decision.action} — {decision.reason}",
        "",
        f"**Champion now:** v{move.to_version if decision.promote else (move.from_version or '(none)')}"
        f" · audit row {move.audit_id} · trigger: {trigger}",
        "",
        f"Evaluation window {evaluation.window_start_utc} → {evaluation.window_end_utc} (UTC),"
        f" {evaluation.rows} {rows_label}, same window for every column.",
        "",
        *rows,
        "",
        *([f"Recorded beside the gate's metric: {', '.join(f'{k} {_num(v)}' for k, v in logged.recorded.items())}",
           ""] if logged.recorded else []),
        f"MLflow run: [{logged.run_id}]({mlflow_link})",
    ]
    if evaluation.champion_note:
        lines += ["", f"Note: {evaluation.champion_note}"]
    if evaluation.backtest:
        keys = list(evaluation.backtest[0])
        lines += ["", "## Rolling-origin backtest", "", "| " + " | ".join(keys) + " |",
                  "|" + "---|" * len(keys)]
        lines += ["| " + " | ".join(_num(r.get(k)) for k in keys) + " |" for r in evaluation.backtest]
    return "\n".join(lines) + "\n"


def _num(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float | np.floating):
        return f"{value:,.4g}" if abs(value) < 1000 else f"{value:,.0f}"
    return str(value)


def decision_summary(result: RetrainResult, use_case: UseCase) -> list[str]:
    """The retrain as text lines: metrics of challenger, champion and baseline, the gate's decision, records."""
    evaluation = result.evaluation
    champion = evaluation.champion or {}
    baseline = use_case.baseline_label.replace(" baseline", "")
    lines = [
        f"{result.model} v{result.version} evaluated on {evaluation.rows} {use_case.rows_label} "
        f"({evaluation.window_start_utc[:10]} .. {evaluation.window_end_utc[:10]} UTC)",
        f"  {'metric':<16}{'challenger':>12}{'champion':>12}{baseline:>16}",
    ]
    for name, value in evaluation.challenger.items():
        lines.append(f"  {name:<16}{_short(value):>12}{_short(champion.get(name)):>12}"
                     f"{_short(evaluation.baseline.get(name)):>16}")
    lines.append(f"gate: {result.decision.action.upper()} - {result.decision.reason}")
    lines.append(f"audit row {result.audit_id}; MLflow run {result.mlflow_run_id}")
    return lines


def _short(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.3f}" if abs(value) < 1000 else f"{value:,.0f}"
