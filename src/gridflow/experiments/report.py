"""The A/B report as operators read it: text lines for the CLI, markdown for the Prefect artifact."""

from __future__ import annotations

from dataclasses import dataclass

from gridflow.experiments.compare import ArmComparison
from gridflow.registry.gate import GateDecision
from gridflow.registry.promotion import AliasMove


@dataclass(frozen=True)
class AbReportResult:
    """What the `ab-report` flow returns: the comparison, the decision and what was recorded."""

    model: str
    comparison: ArmComparison
    decision: GateDecision
    applied: bool  # asked to settle the recommendation
    move: AliasMove | None = None  # what was recorded; None for a dry run or an inconclusive report


def _num(value: float | None, signed: bool = False) -> str:
    if value is None:
        return "-"
    return f"{value:+.4g}" if signed else f"{value:.4g}"


def _arm_rows(c: ArmComparison) -> list[tuple[str, str, str, str]]:
    return [("champion", f"v{c.champion_version}" if c.champion_version else "-", str(c.n_champion),
             _num(c.mae_champion)),
            ("challenger", f"v{c.challenger_version}" if c.challenger_version else "-", str(c.n_challenger),
             _num(c.mae_challenger))]


def _ci(c: ArmComparison) -> str:
    return "-" if c.ci_low is None else f"{c.ci_low:+.4g} to {c.ci_high:+.4g}"


def outcome_line(c: ArmComparison, move: AliasMove | None, applied: bool) -> str:
    """What happened to the recommendation: recorded (with the audit row), a dry run, or nothing to record."""
    if move is not None:
        moved = f"champion v{move.from_version} -> v{move.to_version}" if move.action == "promote" \
            else f"champion v{move.from_version} stays"
        return f"recorded: {move.action} (audit row {move.audit_id}): {moved}"
    if not c.conclusive:
        return "nothing recorded: the report is inconclusive"
    return "nothing recorded: dry run (apply to settle it through the gate)" if not applied else "nothing recorded"


def text_lines(c: ArmComparison, move: AliasMove | None = None, applied: bool = False) -> list[str]:
    """The report for a terminal."""
    lines = [f"{c.model} A/B report: {c.mode} rows, {c.rows_with_actuals} of {c.logged_rows} logged rows have actuals",
             f"  {'arm':<11}{'version':>8}{'rows':>8}{'MAE':>10}"]
    lines += [f"  {arm:<11}{version:>8}{n:>8}{mae:>10}" for arm, version, n, mae in _arm_rows(c)]
    lines.append(f"  difference (challenger - champion) {_num(c.difference, True)}, 95% CI {_ci(c)}; "
                 f"{c.test} p={_num(c.p_value)}; alpha {c.alpha:g}, min rows {c.min_rows}")
    lines.append(f"recommendation: {c.recommendation.upper()} - {c.reason}")
    lines.append(outcome_line(c, move, applied))
    return lines


def markdown(c: ArmComparison, decision: GateDecision, move: AliasMove | None, applied: bool) -> str:
    """The report as the flow's markdown artifact."""
    table = "\n".join(f"| {arm} | {version} | {n} | {mae} |" for arm, version, n, mae in _arm_rows(c))
    return (
        f"# A/B report: {c.model}\n\n"
        f"**{c.recommendation.upper()}** — {c.reason}\n\n"
        f"| arm | version | rows with actuals | MAE |\n|---|---|---:|---:|\n{table}\n\n"
        f"- rows compared: {c.mode} ({c.rows_with_actuals} of {c.logged_rows} logged rows have actuals)\n"
        f"- difference (challenger − champion): {_num(c.difference, True)}, 95 % CI {_ci(c)}\n"
        f"- test: {c.test}, p = {_num(c.p_value)} (alpha {c.alpha:g}, at least {c.min_rows} rows per arm)\n"
        f"- gate decision: {decision.action} — {decision.reason}\n"
        f"- {outcome_line(c, move, applied)}\n"
    )
