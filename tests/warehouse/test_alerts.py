"""Weather alerts in the warehouse, on SQLite and PostgreSQL: each message once, chains of
Alert -> Update -> Cancel, unknown and several references, stale arrivals, announcements."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from gridflow.replay import nws as fake
from gridflow.sources.nws_alerts import Alert, AlertReference, parse_feature
from gridflow.warehouse import alerts as store

T0 = datetime(2026, 5, 12, 20, 42, tzinfo=UTC)
BASE = parse_feature(fake.svr_alert())


def msg(alert_id: str, message_type: str = "Alert", minutes: int = 0, refs: tuple[str, ...] = (),
        ref_minutes: tuple[int, ...] | None = None, **changes) -> Alert:
    """A storm message `minutes` after T0 referencing `refs` (sent at `ref_minutes` after T0)."""
    ref_minutes = ref_minutes or tuple(0 for _ in refs)
    references = tuple(AlertReference(r, T0 + timedelta(minutes=m)) for r, m in zip(refs, ref_minutes, strict=True))
    return replace(BASE, alert_id=alert_id, message_type=message_type, sent_utc=T0 + timedelta(minutes=minutes),
                   references=references, **changes)


def record(db, *alerts: Alert, via: str = "poll") -> list[tuple]:
    with db.begin() as conn:
        changes = store.record_alerts(conn, list(alerts), via)
    return [(c.kind, c.alert_id, c.chain_id, c.chain_version) for c in changes]


def rows(db, chain_id: str) -> list[tuple]:
    with db.connect() as conn:
        return [(r.alert_id, r.chain_version, r.message_type, r.status, r.superseded_by) for r in store.chain(conn, chain_id)]


def pending(db) -> list[str]:
    with db.connect() as conn:
        return [r.alert_id for r in store.pending_announcements(conn)]


def test_alert_is_stored_once_and_announced_once(db):
    alert = parse_feature(fake.svr_alert())
    assert record(db, alert) == [("issued", alert.alert_id, alert.alert_id, 1)]
    assert record(db, alert) == []  # the next poll shows the same list
    assert record(db, alert, via="push") == []
    assert pending(db) == [alert.alert_id]
    with db.begin() as conn:
        assert store.mark_announced(conn, [alert.alert_id]) == 1
        assert store.mark_announced(conn, [alert.alert_id]) == 0
    assert pending(db) == []
    assert record(db, alert) == [] and pending(db) == []


def test_stored_row_keeps_every_field_in_utc(db):
    alert = parse_feature(fake.svr_alert())
    record(db, alert)
    with db.connect() as conn:
        row = store.get_alert(conn, alert.alert_id)
        assert store.get_alert(conn, "urn:oid:nope") is None
    assert row.sent_utc == datetime(2026, 5, 12, 20, 42, tzinfo=UTC) and row.sent_utc.tzinfo is not None
    assert row.expires_utc == datetime(2026, 5, 12, 21, 30, tzinfo=UTC)
    assert row.same_codes == ("048201", "048157", "048167") and row.ugc_codes == ("TXC201", "TXC157", "TXC167")
    assert row.county_fips == ("48157", "48167", "48201")
    assert (row.max_wind_gust_mph, row.max_hail_in, row.severity) == (70.0, 1.75, "Severe")
    assert (row.status, row.received_via, row.announced_at, row.change_kind) == ("active", "poll", None, "issued")
    assert row.document == fake.svr_alert()
    assert row.title.startswith("Severe Thunderstorm Warning issued May 12")


def test_texas_chain_alert_update_cancel(db):
    alert, update, cancel = (parse_feature(f) for f in (fake.svr_alert(), fake.svr_update(), fake.svr_cancel()))
    root = alert.alert_id
    assert record(db, alert) == [("issued", root, root, 1)]
    assert record(db, update) == [("updated", update.alert_id, root, 2)]
    assert rows(db, root) == [(root, 1, "Alert", "superseded", update.alert_id),
                              (update.alert_id, 2, "Update", "active", None)]
    assert record(db, cancel) == [("cancelled", cancel.alert_id, root, 3)]
    assert rows(db, root) == [(root, 1, "Alert", "superseded", update.alert_id),
                              (update.alert_id, 2, "Update", "cancelled", cancel.alert_id),
                              (cancel.alert_id, 3, "Cancel", "cancelled", None)]
    with db.connect() as conn:
        head = store.chain_head(conn, root)
        assert store.chain_head(conn, "unknown") is None and store.chain(conn, "unknown") == []
    assert (head.alert_id, head.chain_version, head.status, head.change_kind) == (cancel.alert_id, 3, "cancelled", "cancelled")
    assert pending(db) == [root, update.alert_id, cancel.alert_id]  # nothing marked yet: all three go out, in order
    assert record(db, alert, update, cancel) == []


def test_alert_and_its_update_in_one_document_chain_by_sent_time(db):
    a, u = msg("A"), msg("U", "Update", 5, ("A",))
    assert record(db, u, a) == [("issued", "A", "A", 1), ("updated", "U", "A", 2)]


def test_updates_with_new_ids_for_the_same_storm_increment_the_version(db):
    record(db, msg("A"), msg("U1", "Update", 5, ("A",)), msg("U2", "Update", 10, ("A", "U1")))
    assert record(db, msg("U3", "Update", 15, ("A",))) == [("updated", "U3", "A", 4)]
    assert [(r[0], r[1], r[3]) for r in rows(db, "A")] == [
        ("A", 1, "superseded"), ("U1", 2, "superseded"), ("U2", 3, "superseded"), ("U3", 4, "active")]


def test_update_of_an_unknown_message_starts_a_chain_at_the_earliest_reference(db):
    # R0 (sent first) and R1 were never seen: the chain is named after R0, the likely first Alert.
    late = msg("U", "Update", 20, ("R1", "R0"), ref_minutes=(10, 0))
    assert record(db, late) == [("issued", "U", "R0", 1)]
    # The root arriving after its successor is stale: not stored, not announced.
    assert record(db, msg("R0")) == [] and record(db, msg("R1", "Update", 10, ("R0",))) == []
    with db.connect() as conn:
        assert store.get_alert(conn, "R0") is None
        assert store.known_ids(conn, ["R0", "U", "other"]) == {"R0", "U"}
    # A later message naming only the root still finds the chain.
    assert record(db, msg("U2", "Update", 30, ("R0",))) == [("updated", "U2", "R0", 2)]


def test_references_mixing_known_and_unknown_ids_attach_to_the_known_chain(db):
    record(db, msg("A"))
    assert record(db, msg("U", "Update", 5, ("never-seen", "A"))) == [("updated", "U", "A", 2)]


def test_references_spanning_two_chains_merge_into_the_newest(db):
    record(db, msg("A"), msg("B", minutes=3, event="Severe Thunderstorm Warning"))
    assert record(db, msg("U", "Update", 5, ("A", "B"))) == [("updated", "U", "B", 2)]
    assert rows(db, "A") == [("A", 1, "Alert", "superseded", "U")]
    assert rows(db, "B") == [("B", 1, "Alert", "superseded", "U"), ("U", 2, "Update", "active", None)]


def test_cancel_of_an_unknown_chain_is_kept_but_not_announced(db):
    assert record(db, msg("C", "Cancel", 30, ("X",), severity="Minor")) == []
    with db.connect() as conn:
        row = store.get_alert(conn, "C")
    assert (row.chain_id, row.chain_version, row.status) == ("X", 1, "cancelled")
    assert row.announced_at is not None and pending(db) == []
    assert record(db, msg("X")) == []  # the cancelled warning arriving late is not issued


def test_cancel_closes_every_active_row_of_the_chain(db):
    record(db, msg("A"), msg("U", "Update", 5, ("A",)))
    assert record(db, msg("C", "Cancel", 9, ("A",))) == [("cancelled", "C", "A", 3)]
    assert [r[3] for r in rows(db, "A")] == ["superseded", "cancelled", "cancelled"]


def test_a_message_sent_before_the_chains_latest_is_stale(db):
    record(db, msg("A"), msg("U2", "Update", 10, ("A",)))
    assert record(db, msg("U1", "Update", 5, ("A",))) == []
    with db.connect() as conn:
        assert store.get_alert(conn, "U1") is None
        assert store.chain_head(conn, "A").alert_id == "U2"


def test_update_without_references_is_a_new_chain(db):
    assert record(db, msg("U", "Update")) == [("issued", "U", "U", 1)]


def test_rejects_unknown_channel_and_message_types(db):
    with db.begin() as conn:
        with pytest.raises(ValueError, match="received_via"):
            store.record_alerts(conn, [msg("A")], "email")
        with pytest.raises(ValueError, match="messageType 'Ack' is not stored"):
            store.record_alerts(conn, [msg("A", "Ack")], "poll")


def test_poll_validators_round_trip(db):
    stream = "alerts/active?area=TX"
    with db.begin() as conn:
        assert store.get_poll_validators(conn, stream) == {"etag": None, "last_modified": None}
        store.save_poll_validators(conn, stream, {"etag": '"abc"', "last_modified": "Tue, 12 May 2026 20:43:10 GMT"}, T0)
        store.save_poll_validators(conn, stream, {"etag": '"def"', "last_modified": None}, T0 - timedelta(hours=1))
    with db.connect() as conn:
        assert store.get_poll_validators(conn, stream) == {"etag": '"def"', "last_modified": None}
        assert store.get_poll_validators(conn, "alerts/active?area=OK")["etag"] is None


def test_mark_announced_of_nothing(db):
    with db.begin() as conn:
        assert store.mark_announced(conn, []) == 0
