"""What a finished run decided, as the name of its final state (pure): `/runs` shows a retrain
that rejected its challenger apart from one that promoted it. The flows return a COMPLETED state
with this name, so every filter on completed runs still finds them."""

from __future__ import annotations

PROMOTED, KEPT, REJECTED = "Promoted", "Kept", "Rejected"
DRIFT_STATE_NAMES = {"retrain": "Retrain", "warn": "Warn", "ok": "OK"}
# The UI shows the state message on hover; the full reason is in the artifact.
MESSAGE_LIMIT = 300


def retrain_state_name(gate_passed: bool, recorded_action: str) -> str:
    """`Promoted` when the champion moved; `Kept` when the challenger passed the gate but was not
    promoted (operator rejection, approval timeout, champion moved meanwhile); `Rejected` when the
    gate refused it."""
    if recorded_action == "promote":
        return PROMOTED
    return KEPT if gate_passed else REJECTED


def drift_state_name(action: str) -> str:
    """`Retrain`, `Warn` or `OK` for the monitor's action."""
    try:
        return DRIFT_STATE_NAMES[action]
    except KeyError:
        raise ValueError(f"unknown monitor action {action!r}; expected one of {sorted(DRIFT_STATE_NAMES)}") from None


def state_message(reason: str) -> str:
    """A decision's reason, cut to what a state message shows."""
    return reason if len(reason) <= MESSAGE_LIMIT else reason[: MESSAGE_LIMIT - 1] + "…"
