"""PJM Data Miner 2 API ingestion: chunks per (feed, zone) planned from watermarks; each chunk is
fetched, validated and loaded (rows + ledger row + watermark in one transaction) or quarantined."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pandas as pd
from sqlalchemy.engine import Engine

from gridflow import frames
from gridflow.clients.http_retry import RetryPolicy
from gridflow.clients.pjm_dataminer import (
    ARCHIVED_FEEDS,
    DEFAULT_BASE_URL,
    MAX_ROW_COUNT,
    PJMDataMinerClient,
    split_range,
)
from gridflow.config import get_settings
from gridflow.errors import ConfigError, ParseError
from gridflow.ingest import pjm_access, progress
from gridflow.ingest.batch import Entry, Watermark, load_batch
from gridflow.ingest.contract import IngestReport, Outcome, Parsed, counter_line
from gridflow.ingest.quarantine import quarantine
from gridflow.runtime import log
from gridflow.sources import pjm_api
from gridflow.validation import gx_adapter
from gridflow.validation.views import load_validation_view
from gridflow.warehouse import ledger
from gridflow.warehouse.documents import TableWriter
from gridflow.warehouse.loads import write_load_observations
from gridflow.warehouse.markets import write_market_prices
from gridflow.warehouse.watermarks import get_watermark

SOURCE = "pjm_api"
ALL_ZONES = "ALL"


@dataclass(frozen=True)
class FeedSpec:
    """How one feed is parsed, validated and stored."""

    dataset: str
    suite: str
    parse: Callable[[list[dict[str, Any]], str], Parsed]
    write: TableWriter
    view: Callable[[pd.DataFrame], pd.DataFrame]
    chunk_days: int


def _load_view(frame: pd.DataFrame) -> pd.DataFrame:
    return load_validation_view(pjm_api.load_frame_from_api(frame))


FEEDS: dict[str, FeedSpec] = {
    "hrl_load_metered": FeedSpec("pjm_load", "pjm_load", pjm_api.parse_hrl_load_metered, write_load_observations,
                                 _load_view, chunk_days=30),
    # ~11k pnodes x 24 h is ~270k rows a day: one day per chunk keeps a chunk's memory modest.
    "da_hrl_lmps": FeedSpec("pjm_da_lmp", "pjm_da_lmp", pjm_api.parse_da_hrl_lmps, write_market_prices,
                            lambda frame: frame, chunk_days=1),
}


@dataclass(frozen=True)
class ClientOptions:
    """Client settings a flow run passes to its chunk tasks (no secrets here)."""

    base_url: str = DEFAULT_BASE_URL
    row_count: int = MAX_ROW_COUNT
    requests_per_minute: float | None = 6.0
    max_attempts: int = 5
    backoff_seconds: float = 2.0
    use_prefect_rate_limit: bool = False


@dataclass(frozen=True)
class ChunkPlan:
    """One request range of one stream: ``[start_ept, end_ept)`` as naive EPT ISO text."""

    feed: str
    zone: str | None
    stream: str
    start_ept: str
    end_ept: str
    index: int
    count: int

    @property
    def label(self) -> str:
        """`stream chunk i/n` for logs and the artifact."""
        return f"{self.stream} chunk {self.index}/{self.count}"


# ------------------------------------------------------------------------------------------------
# Planning
# ------------------------------------------------------------------------------------------------


def stream_name(feed: str, zone: str | None) -> str:
    """Watermark stream of a (feed, zone): ``hrl_load_metered/AE`` or ``.../ALL``."""
    return f"{feed}/{zone or ALL_ZONES}"


def _ept(text: str, name: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"{name}={text!r} is not a date or date-time (YYYY-MM-DD[THH:MM], EPT)") from None
    if value.tzinfo is not None:
        raise ConfigError(f"{name}={text!r} has an offset; give Eastern Prevailing wall time without one")
    return value


def _midnight(value: datetime) -> datetime:
    return value.replace(hour=0, minute=0, second=0, microsecond=0)


def plan_chunks(engine: Engine, feed: str, zones: list[str] | None, start: str | None, end: str | None,
                lookback_days: int = 7, chunk_days: int | None = None, backfill: bool = False) -> list[ChunkPlan]:
    """Chunks per (feed, zone) up to `end`: from the watermark minus `lookback_days`, or from `start`
    for a stream without a watermark (or always, with `backfill`)."""
    if feed not in FEEDS:
        raise ConfigError(f"unsupported PJM feed {feed!r}; supported: {', '.join(FEEDS)}")
    days = chunk_days or FEEDS[feed].chunk_days
    now_ept = pd.Timestamp.now(tz=frames.PJM_TZ).tz_localize(None).to_pydatetime()
    end_ept = _ept(end, "end") if end else _midnight(now_ept) + timedelta(days=1)
    plans: list[ChunkPlan] = []
    with engine.connect() as conn:
        for zone in zones or [None]:
            stream = stream_name(feed, zone)
            mark = None if backfill else get_watermark(conn, SOURCE, stream)
            if mark is None:
                if not start:
                    raise ConfigError(f"stream {stream!r} has no watermark yet: pass start=YYYY-MM-DD (EPT) "
                                      "for its first run")
                begin = _ept(start, "start")
            else:
                # Metered data is revised for days: re-read the look-back, from a local midnight so a
                # chunk never starts inside the repeated fall-back hour.
                local = pd.Timestamp(mark).tz_convert(frames.PJM_TZ).tz_localize(None).to_pydatetime()
                begin = _midnight(local - timedelta(days=lookback_days))
            if begin >= end_ept:
                log().info("%s: nothing to read (%s is not before %s)", stream, begin, end_ept)
                continue
            chunks = split_range(begin, end_ept, days, calendar_year=feed in ARCHIVED_FEEDS)
            plans += [ChunkPlan(feed, zone, stream, c.start_ept.isoformat(), c.end_ept.isoformat(), c.index, c.count)
                      for c in chunks]
    progress.current().planned(len(plans))
    return plans


# ------------------------------------------------------------------------------------------------
# One chunk
# ------------------------------------------------------------------------------------------------


def _digest(items: list[dict[str, Any]]) -> str:
    return hashlib.sha256(json.dumps(items, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def _locator(options: ClientOptions, plan: ChunkPlan) -> str:
    zone = f"&zone={plan.zone}" if plan.zone else ""
    return f"{options.base_url.rstrip('/')}/{plan.feed}?datetime_beginning_ept={plan.start_ept}..{plan.end_ept}{zone}"


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _client(options: ClientOptions) -> PJMDataMinerClient:
    return PJMDataMinerClient(
        pjm_access.resolve_pjm_api_key(), options.base_url, row_count=options.row_count,
        retry=RetryPolicy(max_attempts=options.max_attempts, backoff_seconds=options.backoff_seconds),
        limiter=pjm_access.shared_limiter(options.base_url, options.requests_per_minute),
        before_request=pjm_access.take_global_rate_limit if options.use_prefect_rate_limit else None,
        timeout_seconds=get_settings().http_timeout_seconds,
    )


def chunk_outcome(plan: ChunkPlan, status: str, *, reason: str = "", ledger_id: int | None = None,
                  rows_read: int = 0, rows_written: int = 0, **facts: Any) -> Outcome:
    """The outcome of one chunk; `facts`: pages, requests, rows_kept, watermark_before/after, failures."""
    base = {"stream": plan.stream, "chunk": f"{plan.index}/{plan.count}",
            "range": f"{plan.start_ept} .. {plan.end_ept}", "pages": 0, "requests": 0, "rows_kept": 0,
            "watermark_before": None, "watermark_after": None, "failures": []}
    return Outcome(plan.label, status, rows_read, rows_written, ledger_id, reason, facts=base | facts)


def ingest_chunk(engine: Engine, plan: ChunkPlan, options: ClientOptions) -> Outcome:
    """Fetch every page of one chunk, validate it, and commit rows + ledger row + watermark at once."""
    spec = FEEDS[plan.feed]
    start, end = datetime.fromisoformat(plan.start_ept), datetime.fromisoformat(plan.end_ept)
    client = _client(options)
    items: list[dict[str, Any]] = []
    pages = 0
    chunk = split_range(start, end, max_days=365)[0]  # a planned chunk is a single API range already
    with engine.connect() as conn:
        before = _iso(get_watermark(conn, SOURCE, plan.stream))
    try:
        with client:
            filters = {"zone": plan.zone} if plan.zone else None
            for page in client.fetch_chunk(plan.feed, chunk, filters):
                items.extend(page.items)
                pages += 1
                progress.current().page(plan.label, page.page_count)
    except Exception as exc:
        _record_failure(engine, spec, plan, options, exc)
        raise
    seen = {"pages": pages, "requests": client.requests_sent, "rows_read": len(items), "watermark_before": before}

    if not items:
        log().info("%s: no rows published for this range yet", plan.label)
        return chunk_outcome(plan, "skipped", reason="no rows published for this range yet",
                             watermark_after=before, **seen)
    digest = _digest(items)
    locator = _locator(options, plan)
    try:
        parsed = spec.parse(items, f"{plan.feed} {plan.label}")
    except ParseError as exc:
        failure = {"expectation": "parseable_payload", "why": exc.detail}
        return _quarantine(engine, spec, plan, locator, digest, items, str(exc), [failure], seen)
    report = gx_adapter.validate_frame(spec.view(parsed.frame), spec.suite)
    if not report.success:
        return _quarantine(engine, spec, plan, locator, digest, items, report.reason,
                           [f.as_dict() for f in report.failures], seen)

    covered = parsed.frame[frames.INTERVAL_START_UTC].max() + pd.Timedelta(hours=1)
    loaded = load_batch(
        engine, Entry(SOURCE, spec.dataset, locator, digest), spec.write, parsed,
        details={"pages": pages}, detail_issues=20, skip_loaded=True,
        watermark=Watermark(plan.stream, covered.to_pydatetime(), {"chunk": [plan.start_ept, plan.end_ept]}),
    )
    # Rows a verified reading kept from an unverified re-send.
    kept = len(parsed.frame) - loaded.rows_written if loaded.status == "loaded" else 0
    log().info("%s: %s %d rows from %d items (%d verified rows kept), watermark %s -> %s",
               plan.label, loaded.status, loaded.rows_written, len(items), kept, before, loaded.watermark_after)
    return chunk_outcome(plan, loaded.status, reason=loaded.reason, ledger_id=loaded.ledger_id,
                         rows_written=loaded.rows_written, rows_kept=kept,
                         watermark_after=_iso(loaded.watermark_after), **seen)


def _quarantine(engine: Engine, spec: FeedSpec, plan: ChunkPlan, locator: str, digest: str,
                items: list[dict[str, Any]], reason: str, failures: list[dict[str, Any]],
                seen: dict[str, Any]) -> Outcome:
    """Keep the rejected items, record why, announce it; the watermark stays put."""
    with engine.begin() as conn:
        ledger_id = ledger.start_ingest(conn, SOURCE, spec.dataset, locator, digest)
    name = f"{plan.feed}-{plan.start_ept[:10]}-{plan.zone or ALL_ZONES}.json"
    quarantine(engine, spec.dataset, ledger_id, reason, {"failures": failures}, name=name,
               data=json.dumps({"locator": locator, "items": items}).encode(), rows_read=len(items),
               locator=locator)
    return chunk_outcome(plan, "quarantined", reason=reason, ledger_id=ledger_id, failures=failures,
                         watermark_after=seen["watermark_before"], **seen)


def _record_failure(engine: Engine, spec: FeedSpec, plan: ChunkPlan, options: ClientOptions,
                    exc: Exception) -> None:
    # The fetch failed before anything was written: leave a `failed` ledger row for the operator.
    with engine.begin() as conn:
        ledger_id = ledger.start_ingest(conn, SOURCE, spec.dataset, _locator(options, plan), "unfetched")
        ledger.finish_ingest(conn, ledger_id, "failed", reason=f"{type(exc).__name__}: {exc}")


def not_run(plan: ChunkPlan, why: str) -> Outcome:
    """The outcome of a chunk skipped because an earlier chunk of its stream was quarantined."""
    return chunk_outcome(plan, "not-run", reason=why)


# ------------------------------------------------------------------------------------------------
# Report
# ------------------------------------------------------------------------------------------------


def pjm_report(feed: str, outcomes: list[Outcome]) -> IngestReport:
    """Totals of one run, its CLI line and its artifact (one row per chunk)."""
    def count(status: str) -> int:
        return sum(o.status == status for o in outcomes)

    def total(fact: str) -> int:
        return sum(o.facts[fact] for o in outcomes)

    totals = {
        "feed": feed, "chunks": len(outcomes), "loaded": count("loaded"), "skipped": count("skipped"),
        "quarantined": count("quarantined"), "not_run": count("not-run"), "pages": total("pages"),
        "requests": total("requests"), "rows_read": sum(o.rows_read for o in outcomes),
        "rows_written": sum(o.rows_written for o in outcomes), "rows_kept": total("rows_kept"),
    }
    rows = [{
        "stream": o.facts["stream"], "chunk": o.facts["chunk"], "range (EPT)": o.facts["range"],
        "status": o.status, "pages": o.facts["pages"], "requests": o.facts["requests"], "rows read": o.rows_read,
        "rows written": o.rows_written, "verified kept": o.facts["rows_kept"], "ledger id": o.ledger_id,
        "watermark before": o.facts["watermark_before"], "watermark after": o.facts["watermark_after"],
        "reason": o.reason[:300],
    } for o in outcomes]
    description = (f"PJM Data Miner 2 {feed}: {totals['chunks']} chunk(s), {totals['pages']} page(s), "
                   f"{totals['rows_written']} row(s) written, {totals['skipped']} skipped, "
                   f"{totals['quarantined']} quarantined")
    return IngestReport(SOURCE, feed, list(outcomes), counter_line(list(totals.items())),
                        f"ingest-pjm-{feed.replace('_', '-')}", description, rows, totals)
