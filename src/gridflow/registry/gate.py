"""The promotion gate: a pure decision on whether a challenger replaces the champion."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace
from typing import Protocol


@dataclass(frozen=True)
class GateThresholds:
    """How much better a challenger must be, on the use case's primary metric."""

    metric: str = "mape"
    greater_is_better: bool = False
    # Relative improvement over the champion needed to promote; 0.01 = 1 % better.
    min_relative_improvement: float = 0.01
    # The challenger must also beat the naive baseline by this much (relative), champion or not.
    min_improvement_over_baseline: float = 0.0


@dataclass(frozen=True)
class GateDecision:
    """The gate's verdict with the numbers it was based on and a sentence saying why."""

    promote: bool
    metric: str
    challenger: float
    champion: float | None
    baseline: float | None
    challenger_version: str | None
    champion_version: str | None
    reason: str

    @property
    def action(self) -> str:
        """`promote` or `reject`, as recorded in the audit table."""
        return "promote" if self.promote else "reject"

    def as_dict(self) -> dict:
        """JSON-safe form for audit rows, tags and artifacts."""
        return {**asdict(self), "action": self.action}


def decide_promotion(
    thresholds: GateThresholds,
    challenger: float,
    baseline: float | None,
    champion: float | None = None,
    challenger_version: str | None = None,
    champion_version: str | None = None,
) -> GateDecision:
    """Promote only if the challenger beats the baseline and, when there is one, the champion.

    All figures are the primary metric on the same evaluation window.
    """
    m = thresholds.metric

    def verdict(promote: bool, reason: str) -> GateDecision:
        return GateDecision(
            promote, m, challenger, champion, baseline, challenger_version, champion_version, reason
        )

    if challenger is None or not math.isfinite(challenger):
        return verdict(False, f"challenger {m} is not a finite number ({challenger}); nothing to compare")

    if baseline is not None and math.isfinite(baseline):
        needed = _target(baseline, thresholds.min_improvement_over_baseline, thresholds.greater_is_better)
        if not _at_least_as_good(challenger, needed, thresholds.greater_is_better):
            return verdict(
                False,
                f"challenger {m} {_fmt(challenger)} does not beat the naive baseline's "
                f"{_fmt(baseline)} (needed {_fmt(needed)})",
            )

    if champion is None:
        vs = f"beats the naive baseline's {_fmt(baseline)}" if baseline is not None else "is finite"
        return verdict(True, f"no champion yet; challenger {m} {_fmt(challenger)} {vs}")

    if not math.isfinite(champion):
        return verdict(
            True, f"champion {m} is not finite ({champion}); challenger {_fmt(challenger)} replaces it"
        )

    needed = _target(champion, thresholds.min_relative_improvement, thresholds.greater_is_better)
    change = _relative_improvement(challenger, champion, thresholds.greater_is_better)
    if _at_least_as_good(challenger, needed, thresholds.greater_is_better):
        return verdict(
            True,
            f"challenger {m} {_fmt(challenger)} vs champion {_fmt(champion)}: {change:+.2%} better, "
            f"at least the required {thresholds.min_relative_improvement:.2%}",
        )
    return verdict(
        False,
        f"challenger {m} {_fmt(challenger)} vs champion {_fmt(champion)}: {change:+.2%} better, "
        f"short of the required {thresholds.min_relative_improvement:.2%}; champion stays",
    )


class ScoredWindow(Protocol):
    """Challenger, baseline and champion metrics on one evaluation window (a use case's Evaluation)."""

    challenger: dict[str, float]
    baseline: dict[str, float]
    champion: dict[str, float] | None
    champion_version: str | None
    champion_note: str | None


def decide_on_window(thresholds: GateThresholds, scored: ScoredWindow, challenger_version: str) -> GateDecision:
    """The gate on a scored window: `decide_promotion` on the primary metric, except that a
    champion which exists but could not be scored is never replaced silently."""
    m = thresholds.metric
    decision = decide_promotion(
        thresholds,
        challenger=scored.challenger[m],
        baseline=scored.baseline.get(m),
        champion=None if scored.champion is None else scored.champion[m],
        challenger_version=challenger_version,
        champion_version=scored.champion_version,
    )
    if scored.champion is None and scored.champion_version is not None:
        return GateDecision(False, m, decision.challenger, None, decision.baseline,
                            challenger_version, scored.champion_version,
                            f"champion could not be scored on this window ({scored.champion_note}); "
                            "an operator must compare them")
    return decision


def confirm_champion(decision: GateDecision, current_champion: str | None) -> GateDecision:
    """The compare of the promotion's compare-and-set: a promotion stands only while `champion` is
    still the version the challenger was evaluated against (or already the challenger: a retried
    move); otherwise it becomes a rejection that says the champion moved. Other decisions pass."""
    if not decision.promote:
        return decision
    current = _version(current_champion)
    evaluated = _version(decision.champion_version)
    if current == evaluated or (current is not None and current == _version(decision.challenger_version)):
        return decision
    # Rejected rather than re-evaluated here: the comparison (and an operator's approval) was with
    # the old champion; the next retrain compares the challenger's successor with the new one.
    return replace(decision, promote=False, reason=(
        f"champion moved from {_label(evaluated)} to {_label(current)} since evaluation; "
        f"v{decision.challenger_version} was compared with {_label(evaluated)} only ({decision.reason})"))


def _version(value: object) -> str | None:
    # MLflow gives versions as ints in some APIs and strings in others.
    return None if value is None else str(value)


def _label(version: str | None) -> str:
    return "none" if version is None else f"v{version}"


def _target(reference: float, relative: float, greater_is_better: bool) -> float:
    return reference * (1 + relative) if greater_is_better else reference * (1 - relative)


def _at_least_as_good(value: float, target: float, greater_is_better: bool) -> bool:
    return value >= target if greater_is_better else value <= target


def _relative_improvement(value: float, reference: float, greater_is_better: bool) -> float:
    if reference == 0:
        return 0.0
    delta = (value - reference) if greater_is_better else (reference - value)
    return delta / abs(reference)


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4g}"
