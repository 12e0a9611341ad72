"""The poller's steps without a Prefect server: which messages count (settings.storm), a chain we
follow keeps its Updates and Cancels, and rows stay pending until their event really went out."""

from __future__ import annotations

import pytest

from gridflow.errors import ConfigError
from gridflow.events import WEATHER_ALERT, alert_resource
from gridflow.replay import nws as fake


@pytest.fixture
def steps(tmp_path, monkeypatch):
    """gridflow.storm.alert_intake on a fresh SQLite warehouse; `emitted` records the events sent."""
    from types import SimpleNamespace

    from gridflow import runtime
    from gridflow.config import reset_settings
    from gridflow.storm import alert_intake, announce

    monkeypatch.setenv("GRIDFLOW_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("GRIDFLOW_WAREHOUSE_URL", f"sqlite:///{tmp_path / 'warehouse.db'}")
    reset_settings()
    runtime.warehouse.cache_clear()
    emitted: list[dict] = []

    def emit_event(**event):
        emitted.append(event)
        return SimpleNamespace(id=event["id"])

    monkeypatch.setattr("prefect.events.emit_event", emit_event)
    monkeypatch.setattr(announce, "_flush_events", lambda: None)
    monkeypatch.setattr(alert_intake, "emitted", emitted, raising=False)  # the test reads it from the module
    yield alert_intake
    runtime.warehouse.cache_clear()
    reset_settings()


def doc(*features):
    return fake.collection(list(features), "2026-05-12T21:00:00+00:00")


def set_storm(monkeypatch, **values):
    from gridflow.config import reset_settings

    for key, value in values.items():
        monkeypatch.setenv(f"GRIDFLOW_STORM__{key.upper()}", value)
    reset_settings()


def test_storm_warning_selected_flood_watch_ignored(steps):
    selection = steps.select_storm_alerts(doc(fake.svr_alert(), fake.flood_watch()), "tx")
    assert [a.alert_id for a in selection.relevant] == [fake.SVR_ALERT_ID]
    (ignored,) = selection.ignored
    assert (ignored.alert_id, ignored.reason) == (
        fake.FLOOD_WATCH_ID, "Flood Watch is not a storm warning (GRIDFLOW_STORM__EVENTS)")
    assert selection.seen == 2 and selection.errors == []


def test_a_followed_chain_keeps_updates_below_the_threshold(steps, monkeypatch):
    set_storm(monkeypatch, min_severity="Extreme")
    selection = steps.select_storm_alerts(doc(fake.svr_alert()), "tx")
    assert selection.relevant == [] and "severity Severe below Extreme" in selection.ignored[0].reason
    update = steps.select_storm_alerts(doc(fake.svr_update()), "tx")
    assert update.relevant == [] and "Update of a chain we do not follow" in update.ignored[0].reason

    set_storm(monkeypatch, min_severity="Moderate")
    steps.record_selection(steps.select_storm_alerts(doc(fake.svr_alert()), "tx"), "poll")
    set_storm(monkeypatch, min_severity="Extreme")  # raised meanwhile: the warning we answer still evolves
    update = steps.select_storm_alerts(doc(fake.svr_update()), "tx")
    assert [a.alert_id for a in update.relevant] == [fake.SVR_UPDATE_ID]
    assert [c.kind for c in steps.record_selection(update, "poll")] == ["updated"]


def test_events_setting_is_honoured(steps, monkeypatch):
    set_storm(monkeypatch, events='["Flood Watch"]', min_severity="Minor")
    selection = steps.select_storm_alerts(doc(fake.svr_alert(), fake.flood_watch()), "tx")
    assert [a.event for a in selection.relevant] == ["Flood Watch"]


def test_misspelt_threshold_fails_before_storing(steps, monkeypatch):
    set_storm(monkeypatch, min_severity="Sever")
    with pytest.raises(ConfigError, match="unknown severity 'Sever'"):
        steps.select_storm_alerts(doc(fake.svr_alert()), "tx")


def test_push_records_and_announces_then_nothing_on_repeat(steps):
    summary = steps.ingest_alert_document(doc(fake.svr_alert(), fake.flood_watch()))
    assert [(c.kind, c.alert_id) for c in summary.changes] == [("issued", fake.SVR_ALERT_ID)]
    assert [e["event"] for e in steps.emitted] == [WEATHER_ALERT["issued"]]
    event = steps.emitted[0]
    assert event["resource"]["prefect.resource.id"] == alert_resource(fake.SVR_ALERT_ID)
    assert event["payload"]["received_via"] == "push" and str(event["id"]) == summary.announced[0].event_id
    assert summary.describe() == ("push: 2 alert(s) seen, 1 storm-relevant; new 1, updated 0, cancelled 0, "
                                  "unchanged 0, ignored 1; 1 event(s) emitted")
    repeat = steps.ingest_alert_document(doc(fake.svr_alert(), fake.flood_watch()))
    assert repeat.changes == [] and repeat.announced == [] and len(steps.emitted) == 1


def test_rows_stay_pending_while_prefect_emits_nothing(steps, monkeypatch):
    from gridflow.runtime import warehouse
    from gridflow.warehouse.alerts import pending_announcements

    monkeypatch.setattr("prefect.events.emit_event", lambda **event: None)
    summary = steps.ingest_alert_document(doc(fake.svr_alert()))
    assert summary.changes and summary.announced == []
    with warehouse().connect() as conn:
        assert [r.alert_id for r in pending_announcements(conn)] == [fake.SVR_ALERT_ID]


def test_unreadable_feature_is_reported_not_fatal(steps):
    broken = fake.svr_update()
    del broken["properties"]["sent"]
    summary = steps.ingest_alert_document(doc(fake.svr_alert(), broken))
    assert summary.seen == 2 and len(summary.errors) == 1 and "'sent' is missing" in summary.errors[0]
    assert "unreadable 1" in summary.describe()
