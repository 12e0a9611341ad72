"""Flow run attempts, as the Prefect API knows them: the one this code runs in, and whether others
are over (so the ledger rows they opened and never finished can be closed)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from gridflow.runtime import log

# An attempt in one of these states may still finish what it started.
LIVE_STATES = frozenset({"RUNNING", "PAUSED", "CANCELLING"})


@dataclass(frozen=True)
class RunAttempt:
    """One attempt of a flow run (its id and run count: a Retry of the same run is a new attempt)."""

    flow_run_id: str
    attempt: int

    def as_json(self) -> dict[str, Any]:
        """As stored in a ledger row's details."""
        return {"flow_run_id": self.flow_run_id, "attempt": self.attempt}

    @classmethod
    def from_json(cls, data: Any) -> RunAttempt | None:
        """The attempt stored by `as_json`, or None when there is none."""
        if not isinstance(data, dict) or not data.get("flow_run_id"):
            return None
        return cls(str(data["flow_run_id"]), int(data.get("attempt") or 0))


def current_attempt() -> RunAttempt | None:
    """The flow run attempt this code runs in (also from a task of it), or None outside any run."""
    from prefect.context import FlowRunContext
    from prefect.runtime import flow_run

    context = FlowRunContext.get()
    if context is not None and context.flow_run is not None:
        return RunAttempt(str(context.flow_run.id), int(context.flow_run.run_count))
    run_id = flow_run.get_id()
    if run_id is None:
        return None
    return RunAttempt(str(run_id), int(flow_run.get_run_count()))  # a task in another process: asks the API


def attempt_over(attempt: RunAttempt, state_type: str | None, state_name: str | None,
                 run_count: int | None) -> str | None:
    """Why `attempt` can no longer finish what it started, given its run as the API has it now
    (`state_type` None: the run is gone); None while it may."""
    if state_type is None:
        return "no longer exists"
    if run_count is not None and run_count > attempt.attempt:
        return f"was retried (now attempt {run_count})"
    if state_type in LIVE_STATES:
        return None
    return f"ended {state_name or state_type.title()}"


def ended_attempts(attempts: Sequence[RunAttempt]) -> dict[RunAttempt, str]:
    """Of these attempts, the ones that are over, with why, read from the Prefect API. When the API
    cannot be read none is: a row is only closed on proof that its run is gone."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    ids = sorted({UUID(a.flow_run_id) for a in attempts}, key=str)
    if not ids:
        return {}
    try:
        with get_client(sync_client=True) as client:
            runs = {str(r.id): r for r in client.read_flow_runs(
                flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=ids)), limit=len(ids))}
    except Exception as exc:  # the server is unreachable or refuses: keep the rows, say why
        log().warning("could not read flow runs %s to close abandoned ingests: %s", ids, exc)
        return {}
    over = {}
    for attempt in attempts:
        run = runs.get(str(UUID(attempt.flow_run_id)))
        state_type = run.state_type.value if run is not None and run.state_type is not None else None
        why = attempt_over(attempt, state_type, run.state_name if run else None, run.run_count if run else None)
        if why is not None:
            over[attempt] = why
    return over
