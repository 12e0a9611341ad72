"""Human approval before a champion moves: the flow pauses and the Prefect UI shows a form."""

from __future__ import annotations

from prefect.exceptions import FlowPauseTimeout
from prefect.flow_runs import pause_flow_run
from prefect.input import RunInput

from gridflow.registry.approval import Approval, approval_request
from gridflow.registry.gate import GateDecision
from gridflow.usecases.catalog import get_use_case
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
    request = approval_request(model, decision, required=use_case.require_approval,
                               timeout_s=use_case.approval_timeout_s)
    if request is None:
        return None
    log().info("%s v%s passed the gate (%s); waiting up to %d s for an operator's approval",
               model, decision.challenger_version, decision.reason, request.timeout_s)
    form = PromotionApproval.with_initial_data(description=request.description)
    try:
        answer = pause_flow_run(wait_for_input=form, timeout=request.timeout_s, poll_interval=2, key=request.key)
    except FlowPauseTimeout:
        return Approval.timed_out(request.timeout_s)
    approval = Approval.answered(answer.approve, answer.approver, answer.comment)
    log().info("operator decision on %s v%s: %s by %s", model, decision.challenger_version, approval.outcome,
               approval.approver)
    return approval
