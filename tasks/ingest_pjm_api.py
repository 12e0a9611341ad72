"""Tasks of the `ingest-pjm` flow: plan chunks from watermarks, ingest each chunk, report.
The logic is in `gridflow.ingest.pjm_api`; the subscription key never becomes a task input."""

from __future__ import annotations

from prefect import task

from gridflow.ingest import pjm_access, pjm_api
from gridflow.ingest.contract import Outcome
from gridflow.ingest.pjm_api import ChunkPlan, ClientOptions
from tasks.common import LIGHT, WORK, warehouse


@task(name="ensure-pjm-rate-limit", **LIGHT)
def ensure_pjm_rate_limit(create: bool, name: str = pjm_access.RATE_LIMIT_NAME) -> bool:
    """True if the Prefect global concurrency limit `name` exists (created when `create`)."""
    return pjm_access.ensure_global_rate_limit(create, name)


@task(name="plan-pjm-chunks", **LIGHT)
def plan_pjm_chunks(feed: str, zones: list[str] | None, start: str | None, end: str | None,
                    lookback_days: int = 7, chunk_days: int | None = None,
                    backfill: bool = False) -> list[ChunkPlan]:
    """Chunks per (feed, zone) from each stream's watermark (or `start`) up to `end`."""
    return pjm_api.plan_chunks(warehouse(), feed, zones, start, end, lookback_days, chunk_days, backfill)


@task(name="ingest-pjm-chunk", task_run_name="ingest-{plan.stream}-{plan.index}of{plan.count}", **WORK)
def ingest_pjm_chunk(plan: ChunkPlan, options: ClientOptions) -> Outcome:
    """Fetch every page of one chunk, validate it, and commit rows + ledger row + watermark at once."""
    return pjm_api.ingest_chunk(warehouse(), plan, options)
