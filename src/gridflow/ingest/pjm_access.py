"""Access to the PJM Data Miner 2 API for ingestion: the subscription key, the per-process rate
limiters and the Prefect global rate limit shared by every worker (Prefect client adapters).

The key is resolved where it is used and never becomes a task input, result or log line: Prefect
persists and displays those.
"""

from __future__ import annotations

import os

from gridflow.clients.rate_limit import RateLimiter
from gridflow.errors import ConfigError
from gridflow.runtime import log

KEY_ENV = "PJM_API_KEY"
KEY_SECRET_BLOCK = "pjm-api-key"
RATE_LIMIT_NAME = "pjm-api"

# One limiter per API in this process, shared by every chunk of every run it executes.
_LIMITERS: dict[tuple[str, float | None], RateLimiter] = {}


def resolve_pjm_api_key() -> str:
    """The PJM key from env `PJM_API_KEY`, else the Prefect Secret block `pjm-api-key`."""
    key = os.environ.get(KEY_ENV, "").strip()
    if key:
        return key
    try:
        from prefect.blocks.system import Secret

        value = Secret.load(KEY_SECRET_BLOCK, _sync=True).get()  # type: ignore[call-arg]
    except Exception as exc:  # block missing, or no Prefect API reachable
        raise ConfigError(
            f"no PJM Data Miner API key: set {KEY_ENV} or create the Prefect Secret block "
            f"{KEY_SECRET_BLOCK!r} ({type(exc).__name__})"
        ) from None
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"the Prefect Secret block {KEY_SECRET_BLOCK!r} holds no key")
    return value.strip()


def shared_limiter(base_url: str, requests_per_minute: float | None) -> RateLimiter:
    """The process-wide limiter of one API endpoint and budget."""
    return _LIMITERS.setdefault((base_url, requests_per_minute), RateLimiter(requests_per_minute))


def ensure_global_rate_limit(create: bool, name: str = RATE_LIMIT_NAME) -> bool:
    """True if the Prefect global concurrency limit `name` exists (created when `create`)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
    from prefect.exceptions import ObjectNotFound

    with get_client(sync_client=True) as client:
        try:
            client.read_global_concurrency_limit_by_name(name)
            return True
        except ObjectNotFound:
            if not create:
                return False
        # limit 1 with 0.1 slot/s decay is a strict 6 calls per minute across every worker.
        client.create_global_concurrency_limit(
            GlobalConcurrencyLimitCreate(name=name, limit=1, slot_decay_per_second=0.1)
        )
    log().info("created Prefect global concurrency limit %r (6 calls per minute)", name)
    return True


def take_global_rate_limit() -> None:
    """Block until the Prefect global rate limit grants one request (the client's `before_request` hook)."""
    from prefect.concurrency.sync import rate_limit

    rate_limit(RATE_LIMIT_NAME, strict=True)
