"""How the demo starts a flow: as an operator would, through its deployment on the stack's worker
when one is online, so the run has its deployment, tags and work queue in the Prefect UI; in this
process when no worker runs (`gridflow demo` on its own), so the demo still works without a stack.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from gridflow.errors import GridflowError

# A cold retrain on the worker takes a few minutes on two cores; a stuck run should still end the demo.
RUN_TIMEOUT_SECONDS = 1200


@dataclass(frozen=True)
class DemoRun:
    """A finished demo run: the flow's return value, its run id, and where it ran."""

    result: Any
    flow_run_id: UUID | None
    where: str


class DemoRunUnfinished(GridflowError):
    """A deployment run the demo started did not finish in time (the worker is stuck or gone)."""


def run_flow(flow: Any, deployment: str, *, on_worker: bool, **parameters: Any) -> DemoRun:
    """Run `flow` through `<flow name>/<deployment>` on the worker, else in-process; raises the run's
    own error when it failed, as calling the flow does."""
    if not on_worker:
        state = flow(**parameters, return_state=True)
        return DemoRun(state.result(), state.state_details.flow_run_id, "in-process")
    from prefect.deployments import run_deployment

    name = f"{flow.name}/{deployment}"
    flow_run = run_deployment(name=name, parameters=parameters, timeout=RUN_TIMEOUT_SECONDS, poll_interval=1)
    if flow_run.state is None or not flow_run.state.is_final():
        raise DemoRunUnfinished(f"run {flow_run.name} of {name} did not finish within {RUN_TIMEOUT_SECONDS} s "
                                "(is the worker running? `gridflow status`)")
    return DemoRun(flow_run.state.result(), flow_run.id, f"deployment {name}, run {flow_run.name}")
