"""Human approval before a champion moves: the flow pauses and the Prefect UI shows a form."""

from __future__ import annotations

import contextvars
import threading
from uuid import UUID

from prefect.context import FlowRunContext
from prefect.exceptions import FlowPauseTimeout, NotPausedError
from prefect.flow_runs import pause_flow_run, resume_flow_run
from prefect.input import RunInput

from gridflow.registry.approval import Approval, approval_request
from gridflow.registry.gate import GateDecision
from gridflow.usecases.catalog import get_use_case
from tasks.common import log

# Prefect's server fails a run whose pause outlives its timeout (a service checks every 5 s), even
# when the flow goes on to handle the timeout itself. So the pause gets a margin, and the approval
# deadline is kept here: at the deadline the run resumes itself with a rejection, and ends as a
# completed run that kept the champion instead of a failed one.
PAUSE_MARGIN_S = 300


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
    timed_out = threading.Event()
    # The timer's thread runs in this context: Prefect's settings (its API URL) live in context variables.
    deadline = threading.Timer(request.timeout_s, contextvars.copy_context().run,
                               (_resume_at_deadline, FlowRunContext.get().flow_run.id, timed_out))
    deadline.daemon = True
    deadline.start()
    try:
        answer = pause_flow_run(wait_for_input=form, timeout=request.timeout_s + PAUSE_MARGIN_S, poll_interval=2,
                                key=request.key)
    except FlowPauseTimeout:  # the deadline could not resume the run (server unreachable)
        return Approval.timed_out(request.timeout_s)
    finally:
        deadline.cancel()
    if timed_out.is_set():
        return Approval.timed_out(request.timeout_s)
    approval = Approval.answered(answer.approve, answer.approver, answer.comment)
    log().info("operator decision on %s v%s: %s by %s", model, decision.challenger_version, approval.outcome,
               approval.approver)
    return approval


def _resume_at_deadline(flow_run_id: UUID, timed_out: threading.Event) -> None:
    try:
        resume_flow_run(flow_run_id, run_input={"approve": False, "approver": "nobody",
                                                "comment": "no answer before the approval deadline"})
    except NotPausedError:  # the operator answered first
        return
    timed_out.set()
