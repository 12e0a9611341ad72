"""Weather alerts in the warehouse: each NWS message once, linked into chains, announced once.

A *chain* is one warning as an operator sees it: its first Alert and every Update and Cancel
that followed (``references`` point back). Rules (`record_alerts`):

* A message id already stored changes nothing and yields no change (polls repeat the same list).
* A message that references stored messages (or a stored chain's id) joins that chain as its next
  version: an Update supersedes the chain's active row(s); a Cancel closes the chain (its active
  rows and the Cancel itself get status ``cancelled``). Should the references touch several of
  our chains, the one with the newest message leads and the others are closed into it too.
* A message whose references are all unknown (we missed the start) starts a chain whose id is the
  earliest referenced id: the root Alert's id as far as we can tell, so a later message that
  names that id still finds the chain. A Cancel of an unknown chain is stored (so the messages it
  names are recognised) but closes nothing and is not announced.
* A message older than what its chain already holds (it is named by a stored message, is the id
  of a chain, or was sent before the chain's latest message) is stale: it arrives after its
  successor, so it is neither stored nor announced.

The kind of change follows from the row: version 1 -> ``issued`` (a chain new to us, even when NWS
calls the message an Update), a Cancel -> ``cancelled``, any other later version -> ``updated``.
`announced_at` NULL means "announce it"; the announcing task marks rows after the event went out.
Poll validators (ETag / Last-Modified) live in ``ingest_watermark`` under source ``nws_alerts``,
written in the same transaction as the alerts they cover.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from gridflow.sources.nws_alerts import MESSAGE_TYPES, Alert, county_fips
from gridflow.warehouse import watermarks
from gridflow.warehouse.tables import ingest_watermark, weather_alert

SOURCE = "nws_alerts"
RECEIVED_VIA = ("poll", "push")
_INSERTS = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}


@dataclass(frozen=True)
class AlertChange:
    """What recording one message did to its chain; each change is announced once."""

    kind: str  # issued | updated | cancelled
    alert_id: str
    chain_id: str
    chain_version: int
    message_type: str
    event: str


@dataclass(frozen=True)
class StoredAlert:
    """One `weather_alert` row; times are aware UTC datetimes."""

    alert_id: str
    chain_id: str
    chain_version: int
    message_type: str
    status: str  # active | superseded | cancelled | expired
    event: str
    severity: str | None
    certainty: str | None
    urgency: str | None
    sent_utc: datetime
    effective_utc: datetime | None
    onset_utc: datetime | None
    expires_utc: datetime | None
    ends_utc: datetime | None
    area_desc: str | None
    same_codes: tuple[str, ...]
    ugc_codes: tuple[str, ...]
    references: tuple[str, ...]
    max_wind_gust_mph: float | None
    max_hail_in: float | None
    sender_name: str | None
    headline: str | None
    superseded_by: str | None
    received_via: str
    first_seen_utc: datetime
    announced_at: datetime | None
    updated_at: datetime
    document: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def change_kind(self) -> str:
        """How this message is announced: issued (version 1), cancelled (a Cancel) or updated."""
        if self.message_type == "Cancel":
            return "cancelled"
        return "issued" if self.chain_version == 1 else "updated"

    @property
    def county_fips(self) -> tuple[str, ...]:
        """5-digit county FIPS codes of the SAME codes."""
        return county_fips(self.same_codes)

    @property
    def title(self) -> str:
        """A one-line name for people: the headline, else event and area."""
        if self.headline:
            return self.headline
        return f"{self.event} ({self.area_desc})" if self.area_desc else self.event


def record_alerts(conn: Connection, alerts: Iterable[Alert], received_via: str,
                  now: datetime | None = None) -> list[AlertChange]:
    """Store new messages and link them into chains (rules in the module docstring).

    Messages are applied oldest `sent` first, so an Alert and its Update in one document chain
    correctly. Returns one change per message that must be announced, in that order. Call inside
    a transaction (``engine.begin()``); filter to storm warnings first.
    """
    if received_via not in RECEIVED_VIA:
        raise ValueError(f"received_via must be one of {RECEIVED_VIA}, not {received_via!r}")
    now = now or datetime.now(UTC)
    changes: list[AlertChange] = []
    for alert in sorted(alerts, key=lambda a: (a.sent_utc, a.alert_id)):
        if alert.message_type not in MESSAGE_TYPES:
            raise ValueError(f"{alert.alert_id}: messageType {alert.message_type!r} is not stored "
                             f"(only {', '.join(MESSAGE_TYPES)}); filter with is_storm_warning first")
        change = _record_one(conn, alert, received_via, now)
        if change is not None:
            changes.append(change)
    return changes


def pending_announcements(conn: Connection) -> list[StoredAlert]:
    """Rows whose event has not gone out yet, oldest message first (chain order kept)."""
    t = weather_alert.c
    query = (select(weather_alert).where(t.announced_at.is_(None))
             .order_by(t.sent_utc, t.chain_version, t.alert_id))
    return [_stored(row) for row in conn.execute(query).mappings()]


def mark_announced(conn: Connection, alert_ids: Sequence[str], at: datetime | None = None) -> int:
    """Record that the events of `alert_ids` went out; returns how many rows changed."""
    if not alert_ids:
        return 0
    at = at or datetime.now(UTC)
    t = weather_alert.c
    result = conn.execute(update(weather_alert)
                          .where(t.alert_id.in_(list(alert_ids)), t.announced_at.is_(None))
                          .values(announced_at=at, updated_at=at))
    return result.rowcount or 0


def get_alert(conn: Connection, alert_id: str) -> StoredAlert | None:
    """The stored message `alert_id`, or None."""
    row = conn.execute(select(weather_alert).where(weather_alert.c.alert_id == alert_id)).mappings().first()
    return None if row is None else _stored(row)


def chain(conn: Connection, chain_id: str) -> list[StoredAlert]:
    """Every stored message of the chain, version 1 first (empty when unknown)."""
    t = weather_alert.c
    rows = conn.execute(select(weather_alert).where(t.chain_id == chain_id).order_by(t.chain_version, t.sent_utc))
    return [_stored(row) for row in rows.mappings()]


def chain_head(conn: Connection, chain_id: str) -> StoredAlert | None:
    """The chain's latest version (its current state: active, cancelled...), or None when unknown."""
    rows = chain(conn, chain_id)
    return rows[-1] if rows else None


def known_ids(conn: Connection, ids: Iterable[str]) -> set[str]:
    """Those of `ids` that are stored messages or chain ids (to keep Updates of chains we follow)."""
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return set()
    t = weather_alert.c
    rows = conn.execute(select(t.alert_id, t.chain_id).where(or_(t.alert_id.in_(wanted), t.chain_id.in_(wanted))))
    found: set[str] = set()
    for alert_id, chain_id in rows:
        found.update({alert_id, chain_id})
    return found & set(wanted)


def get_poll_validators(conn: Connection, stream: str) -> dict[str, str | None]:
    """ETag / Last-Modified of the last list recorded for `stream` (e.g. ``alerts/active?area=TX``)."""
    t = ingest_watermark.c
    details = conn.execute(select(t.details).where(t.source == SOURCE, t.stream == stream)).scalar_one_or_none()
    details = details if isinstance(details, dict) else {}
    return {"etag": details.get("etag"), "last_modified": details.get("last_modified")}


def save_poll_validators(conn: Connection, stream: str, validators: Mapping[str, str | None],
                         fetched_at: datetime) -> None:
    """Remember the validators of a list whose alerts this transaction records.

    Same transaction as `record_alerts`: a crash in between must not leave validators that make
    the next poll answer 304 for alerts that were never stored.
    """
    details = {"etag": validators.get("etag"), "last_modified": validators.get("last_modified")}
    watermarks.set_watermark(conn, SOURCE, stream, fetched_at, details=details, force=True)


# ---- internals ---------------------------------------------------------------------------------


def _record_one(conn: Connection, alert: Alert, received_via: str, now: datetime) -> AlertChange | None:
    t = weather_alert.c
    if conn.execute(select(t.alert_id).where(t.alert_id == alert.alert_id)).first() is not None:
        return None
    if _is_stale(conn, alert):
        return None
    refs = list(alert.reference_ids)
    touched = _chains_named(conn, refs) if refs else []
    cancel = alert.message_type == "Cancel"
    if touched:
        heads = [(_head(conn, c), c) for c in touched]
        lead_head, chain_id = max(heads, key=lambda h: (h[0]["sent_utc"], h[1]))
        if alert.sent_utc < lead_head["sent_utc"]:
            return None  # sent before the chain's latest message: stale
        version = int(lead_head["chain_version"]) + 1
        status = "cancelled" if cancel else "active"
        announce = True
    else:
        chain_id = _root_guess(alert)
        version = 1
        status = "cancelled" if cancel else "active"
        # A Cancel of something we never heard of has nothing to close downstream.
        announce = not cancel
    if not _insert(conn, alert, chain_id, version, status, received_via, now, announced=not announce):
        return None  # another poller (or a push) stored it first
    if touched:
        closing = "cancelled" if cancel else "superseded"
        conn.execute(update(weather_alert)
                     .where(t.chain_id.in_(touched), t.status == "active", t.alert_id != alert.alert_id)
                     .values(status=closing, superseded_by=alert.alert_id, updated_at=now))
    if not announce:
        return None
    kind = "cancelled" if cancel else ("issued" if version == 1 else "updated")
    return AlertChange(kind, alert.alert_id, chain_id, version, alert.message_type, alert.event)


def _is_stale(conn: Connection, alert: Alert) -> bool:
    t = weather_alert.c
    if conn.execute(select(t.alert_id).where(t.chain_id == alert.alert_id).limit(1)).first() is not None:
        return True  # we started a chain from a reference to this very message: it came late
    # Only messages sent at or after this one can name it; JSON containment differs per dialect,
    # so the few candidate rows are checked here.
    later = conn.execute(select(t.references).where(t.sent_utc >= alert.sent_utc))
    return any(alert.alert_id in (refs or []) for (refs,) in later)


def _chains_named(conn: Connection, refs: list[str]) -> list[str]:
    t = weather_alert.c
    rows = conn.execute(select(t.chain_id).where(or_(t.alert_id.in_(refs), t.chain_id.in_(refs))).distinct())
    return sorted({chain_id for (chain_id,) in rows})


def _head(conn: Connection, chain_id: str) -> RowMapping:
    t = weather_alert.c
    return conn.execute(select(t.chain_version, t.sent_utc).where(t.chain_id == chain_id)
                        .order_by(t.chain_version.desc()).limit(1)).mappings().one()


def _root_guess(alert: Alert) -> str:
    if not alert.references:
        return alert.alert_id
    # The earliest message named is the closest we can get to the chain's first Alert.
    far_future = datetime.max.replace(tzinfo=UTC)
    ordered = sorted(enumerate(alert.references), key=lambda ir: (ir[1].sent_utc or far_future, ir[0]))
    return ordered[0][1].alert_id


def _insert(conn: Connection, alert: Alert, chain_id: str, version: int, status: str, received_via: str,
            now: datetime, announced: bool) -> bool:
    values = {
        "alert_id": alert.alert_id, "chain_id": chain_id, "chain_version": version,
        "message_type": alert.message_type, "status": status, "event": alert.event,
        "severity": alert.severity, "certainty": alert.certainty, "urgency": alert.urgency,
        "sent_utc": alert.sent_utc, "effective_utc": alert.effective_utc, "onset_utc": alert.onset_utc,
        "expires_utc": alert.expires_utc, "ends_utc": alert.ends_utc, "area_desc": alert.area_desc,
        "same_codes": list(alert.same_codes), "ugc_codes": list(alert.ugc_codes),
        "references": list(alert.reference_ids), "max_wind_gust_mph": alert.max_wind_gust_mph,
        "max_hail_in": alert.max_hail_in, "sender_name": alert.sender_name, "headline": alert.headline,
        "document": dict(alert.document), "superseded_by": None, "received_via": received_via,
        "first_seen_utc": now, "announced_at": now if announced else None, "updated_at": now,
    }
    dialect = conn.dialect.name
    if dialect not in _INSERTS:
        raise NotImplementedError(f"weather alerts support sqlite and postgresql, not {dialect!r}")
    stmt = (_INSERTS[dialect](weather_alert).values(**values)
            .on_conflict_do_nothing(index_elements=["alert_id"]).returning(weather_alert.c.alert_id))
    # RETURNING, not rowcount: psycopg reports -1 for this statement.
    return conn.execute(stmt).first() is not None


def _stored(row: RowMapping) -> StoredAlert:
    return StoredAlert(
        alert_id=row["alert_id"], chain_id=row["chain_id"], chain_version=int(row["chain_version"]),
        message_type=row["message_type"], status=row["status"], event=row["event"], severity=row["severity"],
        certainty=row["certainty"], urgency=row["urgency"], sent_utc=row["sent_utc"],
        effective_utc=row["effective_utc"], onset_utc=row["onset_utc"], expires_utc=row["expires_utc"],
        ends_utc=row["ends_utc"], area_desc=row["area_desc"], same_codes=tuple(row["same_codes"] or ()),
        ugc_codes=tuple(row["ugc_codes"] or ()), references=tuple(row["references"] or ()),
        max_wind_gust_mph=row["max_wind_gust_mph"], max_hail_in=row["max_hail_in"],
        sender_name=row["sender_name"], headline=row["headline"], superseded_by=row["superseded_by"],
        received_via=row["received_via"], first_seen_utc=row["first_seen_utc"],
        announced_at=row["announced_at"], updated_at=row["updated_at"], document=row["document"] or {},
    )


__all__ = [
    "RECEIVED_VIA",
    "SOURCE",
    "AlertChange",
    "StoredAlert",
    "chain",
    "chain_head",
    "get_alert",
    "get_poll_validators",
    "known_ids",
    "mark_announced",
    "pending_announcements",
    "record_alerts",
    "save_poll_validators",
]
