"""Weather alerts in: fetch (conditional GET) -> select storm warnings -> record -> summary.

The poller's tasks and ``gridflow alerts push`` run the same steps; `ingest_alert_document` is the
whole of a push (select, record, announce). Records keep alerts and poll validators in one
transaction; announcing is gridflow.storm.announce.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from gridflow.clients.http_retry import RetryPolicy
from gridflow.clients.nws import NwsClient, Validators
from gridflow.config import get_settings
from gridflow.runtime import log, warehouse
from gridflow.sources.nws_alerts import Alert, is_storm_warning, parse_alert_document, severity_rank
from gridflow.storm.announce import Announced, announce_pending
from gridflow.warehouse import alerts as alert_store
from gridflow.warehouse.alerts import AlertChange


@dataclass(frozen=True)
class FetchedAlerts:
    """One poll's answer: the body (None when the list did not change) and its validators."""

    url: str
    stream: str
    not_modified: bool
    body: bytes | None
    validators: dict[str, str | None]
    fetched_at_utc: datetime


@dataclass(frozen=True)
class IgnoredAlert:
    """A message that is not a storm warning we answer, and why."""

    alert_id: str
    event: str
    severity: str | None
    message_type: str
    reason: str


@dataclass(frozen=True)
class AlertSelection:
    """The messages of one document: storm-relevant ones, ignored ones, unreadable features."""

    source: str
    seen: int
    relevant: list[Alert] = field(default_factory=list)
    ignored: list[IgnoredAlert] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class AlertIngestSummary:
    """What one poll or push did: the poll flow's result, and what the artifact and the CLI show."""

    source: str
    not_modified: bool
    seen: int
    relevant: int
    changes: list[AlertChange]
    ignored: list[IgnoredAlert]
    errors: list[str]
    announced: list[Announced]

    def count(self, kind: str) -> int:
        """Changes of `kind` (issued | updated | cancelled) recorded by this run."""
        return sum(1 for c in self.changes if c.kind == kind)

    @property
    def unchanged(self) -> int:
        """Storm-relevant messages that changed nothing (seen before, or stale)."""
        return self.relevant - len(self.changes)

    def describe(self) -> str:
        """One line of totals."""
        if self.not_modified:
            head = f"{self.source}: not modified since the last poll"
        else:
            head = (f"{self.source}: {self.seen} alert(s) seen, {self.relevant} storm-relevant; "
                    f"new {self.count('issued')}, updated {self.count('updated')}, "
                    f"cancelled {self.count('cancelled')}, unchanged {self.unchanged}, ignored {len(self.ignored)}")
            if self.errors:
                head += f", unreadable {len(self.errors)}"
        return f"{head}; {len(self.announced)} event(s) emitted"


def _client(base_url: str | None = None) -> NwsClient:
    """The NWS client for `base_url` (default: settings), with the configured User-Agent and retries."""
    config = get_settings().storm
    retry = RetryPolicy(max_attempts=config.max_attempts, backoff_seconds=config.backoff_seconds)
    return NwsClient(base_url or config.nws_base_url, user_agent=config.user_agent, retry=retry,
                     timeout=get_settings().http_timeout_seconds)


def _stream_name(areas: list[str]) -> str:
    """The key poll validators are kept under, e.g. ``alerts/active?area=OK,TX``."""
    return "alerts/active?area=" + ",".join(sorted({a.strip().upper() for a in areas if a.strip()}))


def fetch_active_alerts(areas: list[str] | None = None, base_url: str | None = None) -> FetchedAlerts:
    """Conditional GET of the active alerts of `areas` (default: settings.storm.areas)."""
    areas = list(areas or get_settings().storm.areas)
    stream = _stream_name(areas)
    with warehouse().connect() as conn:
        previous = alert_store.get_poll_validators(conn, stream)
    with _client(base_url) as client:
        answer = client.active_alerts(areas, Validators(previous["etag"], previous["last_modified"]))
    size = "304 not modified" if answer.not_modified else f"{len(answer.body or b'')} bytes"
    log().info("GET %s: %s", answer.url, size)
    return FetchedAlerts(answer.url, stream, answer.not_modified, answer.body, answer.validators.as_dict(),
                         answer.fetched_at_utc)


def select_fetched(fetched: FetchedAlerts) -> AlertSelection:
    """The storm warnings of a poll's answer (nothing to do when it was not modified)."""
    if fetched.not_modified or fetched.body is None:
        return AlertSelection(fetched.url, 0)
    selection = select_storm_alerts(fetched.body, fetched.url)
    for error in selection.errors:
        log().warning("unreadable alert left out: %s", error)
    return selection


def select_storm_alerts(doc: bytes | str | Mapping[str, Any], source: str) -> AlertSelection:
    """Parse a document and keep the storm warnings we answer (settings.storm events, min_severity).

    A message that continues a chain we already follow is kept whatever its event or severity:
    an Update that lowers the severity, or a Cancel, must still reach the storm response.
    """
    config = get_settings().storm
    batch = parse_alert_document(doc, source)
    severity_rank(config.min_severity, strict=True)  # a misspelt threshold fails before anything is stored
    candidates = [a for a in batch.alerts if not is_storm_warning(a, config.events, config.min_severity)]
    referenced = {r for a in candidates for r in a.reference_ids}
    with warehouse().connect() as conn:
        followed = alert_store.known_ids(conn, referenced)
    relevant: list[Alert] = []
    ignored: list[IgnoredAlert] = []
    for alert in batch.alerts:
        if is_storm_warning(alert, config.events, config.min_severity) or (
                alert.status == "Actual" and alert.message_type in ("Update", "Cancel")
                and followed.intersection(alert.reference_ids)):
            relevant.append(alert)
        else:
            ignored.append(IgnoredAlert(alert.alert_id, alert.event, alert.severity, alert.message_type,
                                        _why_ignored(alert, config.events, config.min_severity)))
    return AlertSelection(source, len(batch.alerts) + len(batch.errors), relevant, ignored,
                          [str(e) for e in batch.errors])


def record_selection(selection: AlertSelection, received_via: str,
                     fetched: FetchedAlerts | None = None) -> list[AlertChange]:
    """Store the relevant messages (and the poll's validators) in one transaction; returns the changes."""
    with warehouse().begin() as conn:
        changes = alert_store.record_alerts(conn, selection.relevant, received_via)
        if fetched is not None and not fetched.not_modified:
            alert_store.save_poll_validators(conn, fetched.stream, fetched.validators, fetched.fetched_at_utc)
    for change in changes:
        log().info("%s: %s %s (chain %s v%d)", change.kind, change.event, change.alert_id, change.chain_id,
                   change.chain_version)
    return changes


def ingest_alert_document(doc: bytes | str | Mapping[str, Any], received_via: str = "push",
                          source: str = "push") -> AlertIngestSummary:
    """Select, record and announce the alerts of one document: what a push (or one poll) does."""
    selection = select_storm_alerts(doc, source)
    changes = record_selection(selection, received_via)
    announced = announce_pending()
    return summarize(selection, changes, announced, not_modified=False)


def summarize(selection: AlertSelection, changes: list[AlertChange], announced: list[Announced],
              not_modified: bool) -> AlertIngestSummary:
    """The totals of one poll or push."""
    return AlertIngestSummary(selection.source, not_modified, selection.seen, len(selection.relevant),
                              list(changes), list(selection.ignored), list(selection.errors), list(announced))


def summary_table(summary: AlertIngestSummary, selection: AlertSelection) -> list[dict[str, Any]]:
    """One row per message seen (relevant, ignored, unreadable), for the poll's table artifact."""
    by_id = {c.alert_id: c for c in summary.changes}
    rows: list[dict[str, Any]] = []
    for alert in selection.relevant:
        change = by_id.get(alert.alert_id)
        rows.append({"alert id": alert.alert_id, "event": alert.event, "message": alert.message_type,
                     "severity": alert.severity or "", "sent (UTC)": f"{alert.sent_utc:%Y-%m-%d %H:%M}",
                     "area": (alert.area_desc or "")[:120],
                     "gust mph": alert.max_wind_gust_mph, "hail in": alert.max_hail_in,
                     "outcome": f"{change.kind} (chain v{change.chain_version})" if change else "unchanged"})
    rows += [{"alert id": i.alert_id, "event": i.event, "message": i.message_type, "severity": i.severity or "",
              "outcome": f"ignored: {i.reason}"} for i in selection.ignored]
    rows += [{"alert id": "", "event": "", "outcome": f"unreadable: {e[:300]}"} for e in selection.errors]
    return rows or [{"alert id": "", "event": "(nothing new)", "outcome": summary.describe()}]


def _why_ignored(alert: Alert, events: list[str], min_severity: str) -> str:
    if alert.status != "Actual":
        return f"status {alert.status}, not Actual"
    if alert.message_type not in ("Alert", "Update", "Cancel"):
        return f"messageType {alert.message_type}"
    if alert.event.casefold() not in {e.casefold() for e in events}:
        return f"{alert.event} is not a storm warning (GRIDFLOW_STORM__EVENTS)"
    if alert.message_type != "Alert":
        return f"{alert.message_type} of a chain we do not follow, severity {alert.severity} below {min_severity}"
    return f"severity {alert.severity} below {min_severity} (GRIDFLOW_STORM__MIN_SEVERITY)"
