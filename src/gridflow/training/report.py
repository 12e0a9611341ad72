"""The evaluation report: champion vs challenger vs baseline, the gate's decision and reason, links."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gridflow.config import get_settings
from gridflow.registry import mlflow_registry as registry
from gridflow.registry.gate import GateDecision
from gridflow.registry.promotion import AliasMove
from gridflow.training.formatting import format_number
from gridflow.usecases.base import Evaluation, UseCase

if TYPE_CHECKING:
    from gridflow.training.card_log import PublishedCard
    from gridflow.training.results import RetrainResult


def evaluation_report(
    use_case: UseCase, evaluation: Evaluation, decision: GateDecision, logged: registry.LoggedModel,
    move: AliasMove, trigger: str, card: PublishedCard | None = None, card_artifact_url: str | None = None,
) -> str:
    """The report of one retrain as markdown, with the use case's labels, a link to the MLflow run and,
    given the version's published model card, links to it and to the run's plots."""
    link = registry.run_url(get_settings().mlflow_ui_url, logged.experiment_id, logged.run_id)
    return render_evaluation_markdown(
        use_case.name, evaluation, decision, logged, move, trigger, link,
        baseline_label=use_case.baseline_label, rows_label=use_case.rows_label,
        model_card_url=None if card is None else card.page_url, card_artifact_url=card_artifact_url,
        plots=[] if card is None else [(p.path, p.page_url) for p in card.plots])


def render_evaluation_markdown(
    model: str, evaluation: Evaluation, decision: GateDecision, logged: registry.LoggedModel,
    move: AliasMove, trigger: str, mlflow_link: str, *, baseline_label: str, rows_label: str,
    model_card_url: str | None = None, card_artifact_url: str | None = None,
    plots: list[tuple[str, str]] | None = None,
) -> str:
    """The evaluation report as markdown; the labels name the use case's baseline and evaluation rows.
    Images are linked, not embedded (a Prefect artifact does not reliably show them): the model card
    (in MLflow, and as a Prefect artifact) and each plot's page in the MLflow UI."""
    champion = evaluation.champion or {}
    rows = [
        "| metric | challenger v{} | champion {} | {} |".format(
            logged.version, f"v{evaluation.champion_version}" if evaluation.champion_version else "(none)",
            baseline_label),
        "|---|---:|---:|---:|",
    ]
    for name in evaluation.challenger:
        rows.append(f"| {name} | {format_number(evaluation.challenger.get(name))} | "
                    f"{format_number(champion.get(name))} | {format_number(evaluation.baseline.get(name))} |")
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
        *([f"Recorded beside the gate's metric: "
           f"{', '.join(f'{k} {format_number(v)}' for k, v in logged.recorded.items())}",
           ""] if logged.recorded else []),
        f"MLflow run: [{logged.run_id}]({mlflow_link})",
    ]
    if model_card_url or plots:
        lines += ["", "## Model card and plots", ""]
        if model_card_url:
            also = f" · [as a Prefect artifact]({card_artifact_url})" if card_artifact_url else ""
            lines.append(f"- [Model card of v{logged.version}]({model_card_url}) (model_card.md in the MLflow run)"
                         f"{also}")
        lines += [f"- [{path.removeprefix('plots/')}]({url})" for path, url in plots or []]
    if evaluation.champion_note:
        lines += ["", f"Note: {evaluation.champion_note}"]
    if evaluation.backtest:
        keys = list(evaluation.backtest[0])
        lines += ["", "## Rolling-origin backtest", "", "| " + " | ".join(keys) + " |",
                  "|" + "---|" * len(keys)]
        lines += ["| " + " | ".join(format_number(r.get(k)) for k in keys) + " |" for r in evaluation.backtest]
    return "\n".join(lines) + "\n"


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
