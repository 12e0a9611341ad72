"""DAG: PJM Data Miner 2 API -> chunks per (feed, zone) from watermarks -> fetch, validate, load or
quarantine each chunk (rows + ledger + watermark in one transaction) -> table artifact."""

from __future__ import annotations

from prefect import flow

from gridflow.clients.pjm_dataminer import DEFAULT_BASE_URL, MAX_ROW_COUNT
from gridflow.errors import ValidationFailed
from tasks.ingest_pjm_api import (
    FEEDS,
    ClientOptions,
    PjmIngestSummary,
    ensure_pjm_rate_limit,
    ingest_pjm_chunk,
    not_run,
    plan_pjm_chunks,
    publish_pjm_summary,
)


@flow(name="ingest-pjm", flow_run_name="ingest-pjm-{feed}", log_prints=True)
def ingest_pjm(
    feed: str = "hrl_load_metered",
    zones: list[str] | None = None,
    start: str | None = None,
    end: str | None = None,
    base_url: str | None = None,
    lookback_days: int = 7,
    chunk_days: int | None = None,
    row_count: int = MAX_ROW_COUNT,
    requests_per_minute: float = 6.0,
    max_attempts: int = 5,
    backoff_seconds: float = 2.0,
    backfill: bool = False,
) -> PjmIngestSummary:
    """Incrementally load a PJM feed per zone from its watermark (minus `lookback_days`).

    `start`/`end` are EPT dates; `start` is where a stream without a watermark begins, or where
    every stream begins with `backfill=True`. `end` defaults to the end of today (EPT).
    """
    real_api = base_url is None
    # The shared Prefect limit guards the real endpoint's budget; a replay server needs none.
    limited = ensure_pjm_rate_limit(create=real_api)
    options = ClientOptions(base_url or DEFAULT_BASE_URL, row_count, requests_per_minute or None,
                            max_attempts, backoff_seconds, use_prefect_rate_limit=limited)
    results, halted = [], set()
    for plan in plan_pjm_chunks(feed, zones, start, end, lookback_days, chunk_days, backfill):
        if plan.stream in halted:
            # Loading later chunks would move the watermark past the quarantined one.
            results.append(not_run(plan, "an earlier chunk of this stream was quarantined"))
            continue
        result = ingest_pjm_chunk(plan, options)
        if result.status == "quarantined":
            halted.add(plan.stream)
        results.append(result)
    summary = publish_pjm_summary(feed, results)
    bad = [r for r in results if r.status == "quarantined"]
    if bad:
        raise ValidationFailed(FEEDS[feed].dataset, [f for r in bad for f in r.failures], bad[0].ledger_id)
    return summary
