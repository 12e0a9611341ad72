"""The fleet report: every zone's challenger vs champion vs naive baseline with the decision, and
the zones that failed with why; and the run's conclusion."""

from __future__ import annotations

from gridflow.errors import FleetFailed
from gridflow.fleet.outcome import ZoneOutcome
from gridflow.fleet.plan import FleetPlan


def _fmt(value: float | None) -> str:
    return "–" if value is None else f"{value:.4g}"


def fleet_markdown(plan: FleetPlan, outcomes: list[ZoneOutcome], trigger: str) -> str:
    """Markdown artifact of one fleet run: one table row per trained zone, then the failures."""
    trained = [o for o in outcomes if not o.failed]
    failed = [o for o in outcomes if o.failed]
    promoted = sum(o.action == "promote" for o in trained)
    lines = [
        f"# Fleet retrain: {plan.use_case}",
        "",
        f"Trigger: {trigger}. {len(plan.zones)} zone(s): {len(trained)} trained ({promoted} promoted), "
        f"{len(failed)} failed. Gate metric: `{plan.gate_metric}`.",
        "",
        f"| zone | model | challenger | {plan.gate_metric} challenger | champion | baseline | decision | reason |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for o in trained:
        champion = "none" if o.champion_version is None else f"v{o.champion_version}: {_fmt(o.champion)}"
        lines.append(f"| {o.zone} | `{o.model}` | v{o.version} | {_fmt(o.challenger)} | {champion} | "
                     f"{_fmt(o.baseline)} | **{o.action}** | {_cell(o.reason)} |")
    if failed:
        lines += ["", "## Failed zones", "", "| zone | model | why |", "|---|---|---|"]
        lines += [f"| {o.zone} | `{o.model}` | {_cell(o.reason)} |" for o in failed]
        lines += ["", "A Retry of this run (Prefect UI) re-runs only the failed zones; the others are cached."]
    return "\n".join(lines) + "\n"


def conclude(plan: FleetPlan, outcomes: list[ZoneOutcome]) -> list[ZoneOutcome]:
    """The outcomes, or FleetFailed naming every failed zone (after the others were trained)."""
    failed = {o.model: o.reason for o in outcomes if o.failed}
    if failed:
        raise FleetFailed(plan.use_case, failed, len(outcomes) - len(failed))
    return outcomes


def _cell(text: str) -> str:
    # A reason is free text (an exception message): keep the table one line per zone.
    return " ".join(text.replace("|", "\\|").split())[:300]
