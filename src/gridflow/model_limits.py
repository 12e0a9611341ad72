"""One retrain of a model at a time, however it was started (CLI, deployment, trigger, fleet).

A deployment's own `concurrency_limit` only queues runs of that deployment; a `gridflow retrain`
from a shell, a fleet's zone sub-run or a second deployment of the same model would slip past it.
So the retrain flow itself holds the Prefect global concurrency limit `retrain:<model>` (limit 1)
around its work: every process that talks to the same Prefect API shares it. The slot is a lease
the holder renews; a holder killed with its process loses it when the lease runs out.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from gridflow.errors import ConfigError
from gridflow.runtime import log

# Prefect refuses these characters in a limit's name.
_BANNED = frozenset("/%&><")
# How long a slot outlives a killed holder (the server's minimum; its repossessor then frees it
# within 15 s); the holder renews it every 45 s.
LEASE_SECONDS = 60.0


def retrain_limit_name(model: str) -> str:
    """The global concurrency limit every retrain of `model` takes: `retrain:<model>`."""
    if not model or _BANNED & set(model):
        raise ConfigError(f"model name {model!r} cannot name a concurrency limit (no {''.join(sorted(_BANNED))})")
    # Not `deployment:<id>`, Prefect's name for a deployment's own limit: a deployment run holds
    # that one and then this one, a CLI run only this one, so no two runs wait for each other in a circle.
    return f"retrain:{model}"


def ensure_limit(name: str, limit: int = 1) -> bool:
    """Create the global concurrency limit `name` if missing; an existing one keeps what an operator
    set. Returns whether it is active (an operator may switch it off in the UI)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
    from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound

    with get_client(sync_client=True) as client:
        try:
            return bool(client.read_global_concurrency_limit_by_name(name).active)
        except ObjectNotFound:
            pass
        try:
            client.create_global_concurrency_limit(GlobalConcurrencyLimitCreate(name=name, limit=limit))
            log().info("created Prefect global concurrency limit %r (limit %d)", name, limit)
        except ObjectAlreadyExists:  # another process created it first: same limit
            pass
        return bool(client.read_global_concurrency_limit_by_name(name).active)


@contextmanager
def one_retrain_at_a_time(model: str, flow_run_id: str | None = None) -> Iterator[None]:
    """Hold `retrain:<model>` for the body: a second retrain of `model` waits here until this one ends.

    The limit is created if missing and acquired strictly, so a retrain never runs unlimited by
    accident; only an operator who switched the limit off in the UI lets two run at once (logged).
    """
    from uuid import UUID

    from prefect.client.schemas.objects import ConcurrencyLeaseHolder
    from prefect.concurrency.sync import concurrency

    name = retrain_limit_name(model)
    if not ensure_limit(name):
        log().warning("concurrency limit %r is switched off: this retrain of %s is not limited", name, model)
        yield
        return
    holder = ConcurrencyLeaseHolder(type="flow_run", id=UUID(flow_run_id)) if flow_run_id else None
    log().info("waiting for %r: one retrain of %s at a time", name, model)
    started = time.monotonic()
    # A lost renewal (the API briefly away) must not kill hours of training: the promotion's
    # compare-and-set still refuses a champion that moved meanwhile.
    with concurrency(name, occupy=1, lease_duration=LEASE_SECONDS, strict=True, holder=holder,
                     raise_on_lease_renewal_failure=False):
        log().info("holding %r (waited %.0f s)", name, time.monotonic() - started)
        yield
