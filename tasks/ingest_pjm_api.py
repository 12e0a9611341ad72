"""Tasks of the `ingest-pjm` flow: plan chunks from watermarks, fetch + validate + load each chunk in
one transaction (rows, ledger row and watermark together), and report.

The subscription key is resolved inside the task that uses it (`resolve_pjm_api_key`) and never
becomes a task input, result or log line: Prefect persists and displays those.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
from prefect import task
from prefect.artifacts import create_table_artifact
from prefect.events import emit_event
from sqlalchemy import Connection, false, or_, true

from gridflow import frames
from gridflow.clients.pjm_dataminer import (
    ARCHIVED_FEEDS,
    DEFAULT_BASE_URL,
    MAX_ROW_COUNT,
    PJMDataMinerClient,
    RateLimiter,
    RetryPolicy,
    split_range,
)
from gridflow.config import get_settings
from gridflow.errors import ConfigError, ParseError
from gridflow.sources import pjm_api
from gridflow.validation import gx_adapter
from gridflow.validation.views import load_validation_view
from gridflow.warehouse import ledger
from gridflow.warehouse.tables import load_observation, market_price
from gridflow.warehouse.upsert import upsert_frame
from gridflow.warehouse.watermarks import get_watermark, set_watermark
from tasks.common import LIGHT, WORK, log, warehouse

SOURCE = "pjm_api"
KEY_ENV = "PJM_API_KEY"
KEY_SECRET_BLOCK = "pjm-api-key"
RATE_LIMIT_NAME = "pjm-api"
ALL_ZONES = "ALL"


@dataclass(frozen=True)
class FeedSpec:
    """How one feed is parsed, validated and stored."""

    dataset: str
    suite: str
    parse: Callable[[list[dict[str, Any]], str], pjm_api.ApiParseResult]
    chunk_days: int


FEEDS: dict[str, FeedSpec] = {
    "hrl_load_metered": FeedSpec("pjm_load", "pjm_load", pjm_api.parse_hrl_load_metered, chunk_days=30),
    # ~11k pnodes x 24 h is ~270k rows a day: one day per chunk keeps a chunk's memory modest.
    "da_hrl_lmps": FeedSpec("pjm_da_lmp", "pjm_da_lmp", pjm_api.parse_da_hrl_lmps, chunk_days=1),
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


@dataclass(frozen=True)
class ChunkResult:
    """What happened to one chunk, for the artifact, the CLI and tests."""

    plan: ChunkPlan
    status: str  # loaded | skipped | quarantined | not-run
    pages: int = 0
    requests: int = 0
    rows_read: int = 0
    rows_written: int = 0
    rows_kept: int = 0  # existing verified rows an unverified re-send did not overwrite
    ledger_id: int | None = None
    watermark_before: str | None = None
    watermark_after: str | None = None
    reason: str = ""
    failures: list[dict[str, Any]] = field(default_factory=list)


# ------------------------------------------------------------------------------------------------
# Secrets, limits and progress
# ------------------------------------------------------------------------------------------------


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


# One limiter per API in this process, shared by every chunk task of every run it executes.
_LIMITERS: dict[tuple[str, float | None], RateLimiter] = {}


def _limiter(base_url: str, requests_per_minute: float | None) -> RateLimiter:
    return _LIMITERS.setdefault((base_url, requests_per_minute), RateLimiter(requests_per_minute))


@dataclass
class _Progress:
    callback: Callable[[int, int], None] | None = None
    chunks: int = 0
    done: int = 0
    known: dict[str, int] = field(default_factory=dict)

    def page(self, chunk: str, page_count: int) -> None:
        self.done += 1
        self.known[chunk] = page_count
        if self.callback is not None:
            total = sum(self.known.values()) + max(0, self.chunks - len(self.known))
            self.callback(self.done, max(total, self.done))


_progress = _Progress()


@contextmanager
def pjm_progress(on_page: Callable[[int, int], None]) -> Iterator[None]:
    """Report ``on_page(pages_done, pages_expected)`` while a flow runs in this process.

    `pages_expected` counts one page for each chunk not opened yet, so it can grow (CLI bars should
    update their length). Runs on a remote worker report nothing.
    """
    global _progress
    previous, _progress = _progress, _Progress(callback=on_page)
    try:
        yield
    finally:
        _progress = previous


@task(name="ensure-pjm-rate-limit", **LIGHT)
def ensure_pjm_rate_limit(create: bool, name: str = RATE_LIMIT_NAME) -> bool:
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


def _prefect_rate_limit() -> None:
    from prefect.concurrency.sync import rate_limit

    rate_limit(RATE_LIMIT_NAME, strict=True)


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


@task(name="plan-pjm-chunks", **LIGHT)
def plan_pjm_chunks(feed: str, zones: list[str] | None, start: str | None, end: str | None,
                    lookback_days: int = 7, chunk_days: int | None = None,
                    backfill: bool = False) -> list[ChunkPlan]:
    """Chunks per (feed, zone) up to `end`: from the watermark minus `lookback_days`, or from `start`
    for a stream without a watermark (or always, with `backfill`)."""
    if feed not in FEEDS:
        raise ConfigError(f"unsupported PJM feed {feed!r}; supported: {', '.join(FEEDS)}")
    days = chunk_days or FEEDS[feed].chunk_days
    now_ept = pd.Timestamp.now(tz=frames.PJM_TZ).tz_localize(None).to_pydatetime()
    end_ept = _ept(end, "end") if end else _midnight(now_ept) + timedelta(days=1)
    plans: list[ChunkPlan] = []
    with warehouse().connect() as conn:
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
    _progress.chunks, _progress.done, _progress.known = len(plans), 0, {}
    return plans


# ------------------------------------------------------------------------------------------------
# One chunk
# ------------------------------------------------------------------------------------------------


def _write_load(conn: Connection, frame: pd.DataFrame, ingest_id: int, now: datetime) -> int:
    out = frame.copy()
    out["ingest_id"] = ingest_id
    out["updated_at"] = now
    # A preliminary (unverified) reading never replaces a verified one.
    return upsert_frame(
        conn, load_observation, out, frames.LOAD_KEY,
        update_where=lambda t, ex: or_(t.c.is_verified.is_(None), t.c.is_verified == false(), ex.is_verified == true()),
    )


def _write_prices(conn: Connection, frame: pd.DataFrame, ingest_id: int, now: datetime) -> int:
    out = frame.copy()
    out["ingest_id"] = ingest_id
    out["updated_at"] = now
    return upsert_frame(conn, market_price, out, pjm_api.PRICE_KEY)


def _validation_view(feed: str, frame: pd.DataFrame) -> pd.DataFrame:
    if feed == "hrl_load_metered":
        return load_validation_view(pjm_api.load_frame_from_api(frame))
    return frame


def _digest(items: list[dict[str, Any]]) -> str:
    return hashlib.sha256(json.dumps(items, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def _locator(options: ClientOptions, plan: ChunkPlan) -> str:
    zone = f"&zone={plan.zone}" if plan.zone else ""
    return f"{options.base_url.rstrip('/')}/{plan.feed}?datetime_beginning_ept={plan.start_ept}..{plan.end_ept}{zone}"


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


@task(name="ingest-pjm-chunk", task_run_name="ingest-{plan.stream}-{plan.index}of{plan.count}", **WORK)
def ingest_pjm_chunk(plan: ChunkPlan, options: ClientOptions) -> ChunkResult:
    """Fetch every page of one chunk, validate it, and commit rows + ledger row + watermark at once."""
    spec = FEEDS[plan.feed]
    start, end = datetime.fromisoformat(plan.start_ept), datetime.fromisoformat(plan.end_ept)
    client = PJMDataMinerClient(
        resolve_pjm_api_key(), options.base_url, row_count=options.row_count,
        retry=RetryPolicy(max_attempts=options.max_attempts, backoff_seconds=options.backoff_seconds),
        limiter=_limiter(options.base_url, options.requests_per_minute),
        before_request=_prefect_rate_limit if options.use_prefect_rate_limit else None,
    )
    items: list[dict[str, Any]] = []
    pages = 0
    chunk = split_range(start, end, max_days=365)[0]  # a planned chunk is a single API range already
    with warehouse().connect() as conn:
        before = get_watermark(conn, SOURCE, plan.stream)
    try:
        with client:
            filters = {"zone": plan.zone} if plan.zone else None
            for page in client.fetch_chunk(plan.feed, chunk, filters):
                items.extend(page.items)
                pages += 1
                _progress.page(plan.label, page.page_count)
    except Exception as exc:
        _record_failure(spec, plan, options, exc)
        raise
    common = {"plan": plan, "pages": pages, "requests": client.requests_sent, "rows_read": len(items),
              "watermark_before": _iso(before)}

    if not items:
        log().info("%s: no rows published for this range yet", plan.label)
        return ChunkResult(status="skipped", reason="no rows published for this range yet",
                           watermark_after=_iso(before), **common)
    digest = _digest(items)
    locator = _locator(options, plan)
    try:
        parsed = spec.parse(items, f"{plan.feed} {plan.label}")
    except ParseError as exc:
        failure = {"expectation": "parseable_payload", "why": exc.detail}
        return _quarantine(spec, plan, locator, digest, items, str(exc), [failure], common)
    report = gx_adapter.validate_frame(_validation_view(plan.feed, parsed.frame), spec.suite)
    if not report.success:
        return _quarantine(spec, plan, locator, digest, items, report.reason,
                           [f.as_dict() for f in report.failures], common)

    covered = parsed.frame[frames.INTERVAL_START_UTC].max() + pd.Timedelta(hours=1)
    now = datetime.now(UTC)
    # One transaction: rows, their ledger row and the watermark commit together or not at all.
    with warehouse().begin() as conn:
        previous = ledger.find_loaded(conn, spec.dataset, digest)
        ledger_id = ledger.start_ingest(conn, SOURCE, spec.dataset, locator, digest)
        if previous is not None:
            written = 0
            status, reason = "skipped", f"same content already loaded by ledger id {previous.id}"
        else:
            writer = _write_load if plan.feed == "hrl_load_metered" else _write_prices
            written = writer(conn, parsed.frame, ledger_id, now)
            status, reason = "loaded", "; ".join(parsed.issues)
        ledger.finish_ingest(conn, ledger_id, status, rows_read=len(items), rows_written=written,
                             reason=reason or None, details={"issues": parsed.issues[:20], "pages": pages})
        after = set_watermark(conn, SOURCE, plan.stream, covered.to_pydatetime(),
                              {"ledger_id": ledger_id, "chunk": [plan.start_ept, plan.end_ept]})
    kept = len(parsed.frame) - written if status == "loaded" else 0
    log().info("%s: %s %d rows from %d items (%d verified rows kept), watermark %s -> %s",
               plan.label, status, written, len(items), kept, before, after)
    return ChunkResult(status=status, rows_written=written, rows_kept=kept, ledger_id=ledger_id,
                       watermark_after=_iso(after), reason=reason, **common)


def _quarantine(spec: FeedSpec, plan: ChunkPlan, locator: str, digest: str, items: list[dict[str, Any]],
                reason: str, failures: list[dict[str, Any]], common: dict[str, Any]) -> ChunkResult:
    """Keep the rejected items on disk, record why, announce it; the watermark stays put."""
    folder = get_settings().quarantine_dir / spec.dataset
    folder.mkdir(parents=True, exist_ok=True)
    with warehouse().begin() as conn:
        ledger_id = ledger.start_ingest(conn, SOURCE, spec.dataset, locator, digest)
        kept = folder / f"{ledger_id}-{plan.feed}-{plan.start_ept[:10]}-{plan.zone or ALL_ZONES}.json"
        kept.write_text(json.dumps({"locator": locator, "items": items}))
        ledger.finish_ingest(conn, ledger_id, "quarantined", rows_read=len(items), reason=reason,
                             details={"failures": failures, "kept_at": str(kept)})
    emit_event(
        event="gridflow.data.quarantined",
        resource={"prefect.resource.id": f"gridflow.dataset.{spec.dataset}"},
        payload={"ledger_id": ledger_id, "locator": locator, "reason": reason[:2000]},
    )
    log().error("quarantined %s (ledger id %s): %s", plan.label, ledger_id, reason)
    return ChunkResult(status="quarantined", ledger_id=ledger_id, reason=reason, failures=failures,
                       watermark_after=common["watermark_before"], **common)


def _record_failure(spec: FeedSpec, plan: ChunkPlan, options: ClientOptions, exc: Exception) -> None:
    # The fetch failed before anything was written: leave a `failed` ledger row for the operator.
    with warehouse().begin() as conn:
        ledger_id = ledger.start_ingest(conn, SOURCE, spec.dataset, _locator(options, plan), "unfetched")
        ledger.finish_ingest(conn, ledger_id, "failed", reason=f"{type(exc).__name__}: {exc}"[:2000])


def not_run(plan: ChunkPlan, why: str) -> ChunkResult:
    """The result of a chunk skipped because an earlier chunk of its stream was quarantined."""
    return ChunkResult(plan=plan, status="not-run", reason=why)


# ------------------------------------------------------------------------------------------------
# Report
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PjmIngestSummary:
    """Totals of one `ingest-pjm` run."""

    feed: str
    chunks: int
    loaded: int
    skipped: int
    quarantined: int
    not_run: int
    pages: int
    requests: int
    rows_read: int
    rows_written: int
    rows_kept: int
    results: list[ChunkResult]


@task(name="publish-pjm-summary", **LIGHT)
def publish_pjm_summary(feed: str, results: list[ChunkResult]) -> PjmIngestSummary:
    """Table artifact: one row per chunk (pages, rows, skipped, quarantined, watermark before/after)."""
    def count(status: str) -> int:
        return sum(r.status == status for r in results)

    summary = PjmIngestSummary(
        feed=feed, chunks=len(results), loaded=count("loaded"), skipped=count("skipped"),
        quarantined=count("quarantined"), not_run=count("not-run"),
        pages=sum(r.pages for r in results), requests=sum(r.requests for r in results),
        rows_read=sum(r.rows_read for r in results), rows_written=sum(r.rows_written for r in results),
        rows_kept=sum(r.rows_kept for r in results), results=list(results),
    )
    table = [{
        "stream": r.plan.stream, "chunk": f"{r.plan.index}/{r.plan.count}",
        "range (EPT)": f"{r.plan.start_ept} .. {r.plan.end_ept}", "status": r.status, "pages": r.pages,
        "requests": r.requests, "rows read": r.rows_read, "rows written": r.rows_written,
        "verified kept": r.rows_kept, "ledger id": r.ledger_id, "watermark before": r.watermark_before,
        "watermark after": r.watermark_after, "reason": r.reason[:300],
    } for r in results]
    create_table_artifact(
        key=f"ingest-pjm-{feed.replace('_', '-')}", table=table,
        description=(f"PJM Data Miner 2 {feed}: {summary.chunks} chunk(s), {summary.pages} page(s), "
                     f"{summary.rows_written} row(s) written, {summary.skipped} skipped, "
                     f"{summary.quarantined} quarantined"),
    )
    return summary
