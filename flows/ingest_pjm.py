"""DAG: PJM Data Miner 2 API -> chunks per (feed, zone) from watermarks -> fetch, validate, load or
quarantine each chunk (rows + ledger + watermark in one transaction) -> table artifact."""

from __future__ import annotations

from prefect import flow
from prefect.runtime import flow_run

from gridflow import run_names
from gridflow.clients.pjm_dataminer import DEFAULT_BASE_URL, MAX_ROW_COUNT
from gridflow.errors import ValidationFailed
from gridflow.ingest.contract import IngestReport
from gridflow.ingest.pjm_api import FEEDS, ClientOptions, not_run, pjm_report
from tasks.ingest import publish_report
from tasks.ingest_pjm_api import ensure_pjm_rate_limit, ingest_pjm_chunk, plan_pjm_chunks


def _run_name() -> str:
    return run_names.pjm_ingest_name(flow_run.parameters.get("feed", "hrl_load_metered"),
                                     flow_run.parameters.get("zones"))


@flow(name="ingest-pjm", flow_run_name=_run_name, log_prints=True)
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
) -> IngestReport:
    """Incrementally load a PJM feed per zone from its watermark (minus `lookback_days`).

    `start`/`end` are EPT dates; `start` is where a stream without a watermark begins, or where
    every stream begins with `backfill=True`. `end` defaults to the end of today (EPT).
    """
    real_api = base_url is None
    # The shared Prefect limit guards the real endpoint's budget; a replay server needs none.
    limited = ensure_pjm_rate_limit(create=real_api)
    options = ClientOptions(base_url or DEFAULT_BASE_URL, row_count, requests_per_minute or None,
                            max_attempts, backoff_seconds, use_prefect_rate_limit=limited)
    outcomes, halted = [], set()
    for plan in plan_pjm_chunks(feed, zones, start, end, lookback_days, chunk_days, backfill):
        if plan.stream in halted:
            # Loading later chunks would move the watermark past the quarantined one.
            outcomes.append(not_run(plan, "an earlier chunk of this stream was quarantined"))
            continue
        outcome = ingest_pjm_chunk(plan, options)
        if outcome.status == "quarantined":
            halted.add(plan.stream)
        outcomes.append(outcome)
    report = publish_report(pjm_report(feed, outcomes))
    bad = [o for o in outcomes if o.status == "quarantined"]
    if bad:
        raise ValidationFailed(FEEDS[feed].dataset, [f for o in bad for f in o.facts["failures"]], bad[0].ledger_id)
    return report
