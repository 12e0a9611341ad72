"""Human approval before a champion moves: the flow pauses and the Prefect UI shows a form."""

from __future__ import annotations

from datetime import UTC, datetime

from prefect.exceptions import FlowPauseTimeout
from prefect.flow_runs import pause_flow_run
from prefect.input import RunInput

from gridflow.registry.approval import Approval
from gridflow.registry.gate import GateDecision
from gridflow.usecases import get_use_case
from tasks.common import log


class PromotionApproval(RunInput):
    """The form an operator fills in the Prefect UI (Resume) to approve or reject a promotion."""

    approve: bool = False
    comment: str = ""
    approver: str = ""


def await_operator_approval(model: str, decision: GateDecision) -> Approval | None:
    """Pause the flow run until an operator approves or rejects the gate's promotion; a timeout
    counts as a rejection. None when the model needs no approval or the gate already said no.

    Called from the flow body: Prefect pauses flow runs, not task runs.
    """
    use_case = get_use_case(model)
    if not use_case.require_approval or not decision.promote:
        return None
    log().info("%s v%s passed the gate (%s); waiting up to %d s for an operator's approval",
               model, decision.challenger_version, decision.reason, use_case.approval_timeout_s)
    form = PromotionApproval.with_initial_data(
        description=(f"**Promote {model} version {decision.challenger_version} to champion?**\n\n"
                     f"Gate: {decision.reason}"),
    )
    # Input keys allow lowercase letters, digits and dashes only.
    key = f"approve-{model.replace('_', '-')}-v{decision.challenger_version}".lower()
    try:
        answer = pause_flow_run(wait_for_input=form, timeout=use_case.approval_timeout_s, poll_interval=2, key=key)
    except FlowPauseTimeout:
        return Approval("timed_out", "nobody", f"no answer within {use_case.approval_timeout_s} s", _now())
    approval = Approval("approved" if answer.approve else "rejected", answer.approver.strip() or "unknown operator",
                        answer.comment.strip(), _now())
    log().info("operator decision on %s v%s: %s by %s", model, decision.challenger_version, approval.outcome,
               approval.approver)
    return approval


def _now() -> str:
    return datetime.now(UTC).isoformat()
