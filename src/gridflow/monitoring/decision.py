"""Retrain, warn or carry on: a pure decision from drift, accuracy, data volume and history."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class MonitorPolicy:
    """Per-model thresholds; drift share is the fraction of features whose drift test fired."""

    drift_share_retrain: float = 0.5
    drift_share_warn: float = 0.25
    # Relative worsening of the primary error metric against the champion's own backtest figure.
    accuracy_degradation_retrain: float = 0.20
    min_new_rows: int = 14 * 24
    cooldown_hours: float = 24.0
    # A model younger than this is not retrained on drift alone (accuracy still counts).
    min_model_age_days: float = 7.0
    # Distance at which one feature counts as drifted; None: the drift test's default.
    drift_threshold: float | None = None


@dataclass(frozen=True)
class MonitorInputs:
    """What the monitor measured and what the history says, for one model."""

    has_champion: bool
    drift_share: float | None
    drifted_features: list[str]
    metric: str
    current_error: float | None  # e.g. MAPE over the window where actuals have landed
    reference_error: float | None  # the champion's backtest figure for the same metric
    new_rows: int  # rows available for training since the champion's training window ended
    champion_age_days: float | None
    hours_since_last_trigger: float | None  # None: never triggered
    retrain_running: bool = False


@dataclass(frozen=True)
class MonitorDecision:
    """`retrain`, `warn` or `ok`, with the figures and a sentence saying why."""

    action: str
    reason: str
    drift_share: float | None
    accuracy_degradation: float | None

    def as_dict(self) -> dict:
        """JSON-safe form for the results table, the event payload and artifacts."""
        return asdict(self)


def accuracy_degradation(current: float | None, reference: float | None) -> float | None:
    """Relative worsening of an error metric (0.25 = 25 % worse); None without both figures."""
    if current is None or reference is None or reference <= 0:
        return None
    return (current - reference) / reference


def no_champion() -> MonitorDecision:
    """The verdict when nothing is deployed: warn and say how to get a first model."""
    return MonitorDecision("warn", "no champion to monitor: run the retrain flow to train a first model", None, None)


def decide(inputs: MonitorInputs, policy: MonitorPolicy) -> MonitorDecision:
    """Apply the policy: why to retrain (drift, accuracy) and why not (no data, cool-down, age)."""
    share = inputs.drift_share
    degradation = accuracy_degradation(inputs.current_error, inputs.reference_error)

    def verdict(action: str, reason: str) -> MonitorDecision:
        return MonitorDecision(action, reason, share, degradation)

    if not inputs.has_champion:
        return no_champion()

    drifted = share is not None and share >= policy.drift_share_retrain
    degraded = degradation is not None and degradation >= policy.accuracy_degradation_retrain
    findings = []
    if drifted:
        findings.append(
            f"drift share {share:.0%} >= {policy.drift_share_retrain:.0%} "
            f"({', '.join(inputs.drifted_features[:8])})"
        )
    if degraded:
        findings.append(
            f"{inputs.metric} {inputs.current_error:.3g} is {degradation:+.0%} against the champion's "
            f"backtest {inputs.reference_error:.3g} (limit {policy.accuracy_degradation_retrain:+.0%})"
        )

    if not findings:
        if share is not None and share >= policy.drift_share_warn:
            return verdict("warn", f"drift share {share:.0%} is past the warning level "
                                   f"{policy.drift_share_warn:.0%} but below {policy.drift_share_retrain:.0%}")
        details = "no drift measured" if share is None else f"drift share {share:.0%}"
        if degradation is not None:
            details += f", {inputs.metric} {degradation:+.0%} against backtest"
        return verdict("ok", f"within limits: {details}")

    why = "; ".join(findings)
    if inputs.retrain_running:
        return verdict("warn", f"{why}; a retrain of this model is already running")
    if inputs.hours_since_last_trigger is not None and inputs.hours_since_last_trigger < policy.cooldown_hours:
        return verdict("warn", f"{why}; cool-down: last retrain trigger {inputs.hours_since_last_trigger:.1f} h "
                               f"ago, limit {policy.cooldown_hours:g} h")
    if inputs.new_rows < policy.min_new_rows:
        return verdict("warn", f"{why}; only {inputs.new_rows} new rows since the champion's training "
                               f"window, need {policy.min_new_rows}")
    young = inputs.champion_age_days is not None and inputs.champion_age_days < policy.min_model_age_days
    if young and not degraded:
        return verdict("warn", f"{why}; champion is {inputs.champion_age_days:.1f} days old, drift alone "
                               f"retrains models older than {policy.min_model_age_days:g} days")
    return verdict("retrain", why)

