"""An operator's approval of a promotion, and what it does to the gate's decision (pure)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime

from gridflow.registry.gate import GateDecision
from gridflow.usecases.naming import slug

OUTCOMES = ("approved", "rejected", "timed_out")


@dataclass(frozen=True)
class Approval:
    """An operator's answer to "promote this challenger?", or the timeout that stood in for one."""

    outcome: str  # approved | rejected | timed_out
    approver: str
    comment: str
    decided_at_utc: str

    def __post_init__(self) -> None:
        if self.outcome not in OUTCOMES:
            raise ValueError(f"approval outcome must be one of {OUTCOMES}, not {self.outcome!r}")

    @property
    def approved(self) -> bool:
        """True only for an explicit approval; silence is not consent."""
        return self.outcome == "approved"

    @classmethod
    def answered(cls, approve: bool, approver: str, comment: str) -> Approval:
        """An operator's answer from the approval form, stamped now."""
        return cls("approved" if approve else "rejected", approver.strip() or "unknown operator",
                   comment.strip(), _now())

    @classmethod
    def timed_out(cls, timeout_s: int) -> Approval:
        """The rejection that stands in for no answer within `timeout_s` seconds."""
        return cls("timed_out", "nobody", f"no answer within {timeout_s} s", _now())

    def as_dict(self) -> dict:
        """JSON-safe form for audit rows and tags."""
        return asdict(self)

    def tags(self) -> dict[str, str]:
        """MLflow model-version tags that record the decision beside the model."""
        return {"approval.outcome": self.outcome, "approval.by": self.approver,
                "approval.comment": self.comment, "approval.decided_at": self.decided_at_utc}


@dataclass(frozen=True)
class ApprovalRequest:
    """What the operator is asked: the form's text, its input key and how long the run waits."""

    key: str
    description: str
    timeout_s: int


def approval_request(model: str, decision: GateDecision, *, required: bool, timeout_s: int) -> ApprovalRequest | None:
    """The question to put to an operator, or None when the model needs no approval or the gate
    already said no (an approval never promotes what the gate refused)."""
    if not required or not decision.promote:
        return None
    return ApprovalRequest(
        # Input keys allow lowercase letters, digits and dashes only.
        key=slug(f"approve-{model}-v{decision.challenger_version}"),
        description=(f"**Promote {model} version {decision.challenger_version} to champion?**\n\n"
                     f"Gate: {decision.reason}"),
        timeout_s=timeout_s,
    )


def apply_approval(decision: GateDecision, approval: Approval | None) -> GateDecision:
    """The decision after the operator: a rejection or timeout stops a promotion the gate allowed;
    an approval never promotes what the gate refused."""
    if approval is None or not decision.promote:
        return decision
    said = f": {approval.comment}" if approval.comment else ""
    if approval.approved:
        return replace(decision, reason=f"{decision.reason}; approved by {approval.approver}{said}")
    if approval.outcome == "timed_out":
        return replace(decision, promote=False,
                       reason=f"gate passed ({decision.reason}) but no operator approved it in time; kept the champion")
    return replace(decision, promote=False,
                   reason=f"gate passed ({decision.reason}) but {approval.approver} rejected it{said}")


def _now() -> str:
    return datetime.now(UTC).isoformat()
