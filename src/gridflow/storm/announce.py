"""Announcing stored weather alerts: emit every pending row's event, wait until sent, mark the rows.

Emitting after the rows were committed means a crash in between announces again rather than
never; the event id is derived from the row (gridflow.storm.alert_events), so Prefect drops the
repeat.
"""

from __future__ import annotations

from dataclasses import dataclass

from gridflow.events import emit, flush
from gridflow.runtime import log, warehouse
from gridflow.storm.alert_events import announcement
from gridflow.warehouse import alerts as alert_store


@dataclass(frozen=True)
class Announced:
    """One event that went out."""

    alert_id: str
    event: str
    chain_id: str
    version: int
    event_id: str


def announce_pending() -> list[Announced]:
    """Emit the event of every row not announced yet, wait until they are sent, then mark the rows.

    Nothing is marked when Prefect does not emit events (no API configured): the rows stay
    pending until a run that can announce them.
    """
    with warehouse().connect() as conn:
        pending = alert_store.pending_announcements(conn)
    sent: list[Announced] = []
    for row in pending:
        note = announcement(row)
        sent_id = emit(note)
        if sent_id is None:
            log().warning("Prefect emits no events in this process (no API?): %d alert(s) stay pending",
                          len(pending) - len(sent))
            break
        sent.append(Announced(row.alert_id, note.event, row.chain_id, row.chain_version, sent_id))
    if sent:
        _flush_events()
        with warehouse().begin() as conn:
            alert_store.mark_announced(conn, [a.alert_id for a in sent])
    for item in sent:
        log().info("emitted %s for %s (chain %s v%d)", item.event, item.alert_id, item.chain_id, item.version)
    return sent


def _flush_events() -> None:
    # emit_event only queues; wait until the events worker has sent them before the rows are
    # marked, so a crash right after cannot lose an announcement.
    try:
        flush()
    except Exception as exc:  # a flush problem must not hide that the events were queued
        log().warning("could not confirm the events were sent: %s", exc)
