"""Failure notices: their text, the notifications file, and the webhook (a local HTTP server)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import ClassVar

import pytest

from gridflow.notifications import (
    NotificationError,
    append_notice,
    flow_run_id_from,
    make_notice,
    post_notice,
    read_notices,
)
from tests.conftest import free_port

RUN_ID = "2b45d488-cb9f-4398-afff-cc9b6fe266bf"


def notice(message: str | None = "Flow run encountered an exception: ParseError: x.csv: no such file",
           occurred_at: str = "2026-11-23T13:27:47+00:00"):
    return make_notice(flow_run_id=RUN_ID, flow_run_name="ingest-pjm-load-x.csv",
                       deployment="ingest-pjm-load/pjm-load-file", state="Failed", message=message,
                       url=f"http://127.0.0.1:4200/runs/flow-run/{RUN_ID}", occurred_at=occurred_at)


def test_text_says_what_failed_why_and_where_to_look():
    assert notice().text == (
        "gridflow: ingest-pjm-load/pjm-load-file run 'ingest-pjm-load-x.csv' Failed: Flow run encountered an "
        f"exception: ParseError: x.csv: no such file - http://127.0.0.1:4200/runs/flow-run/{RUN_ID}")
    assert notice(None).text.endswith(f"Failed - http://127.0.0.1:4200/runs/flow-run/{RUN_ID}")


def test_long_messages_are_cut_to_one_paragraph():
    long = notice("Traceback\n   line 1\n" + "x" * 2000)
    assert len(long.message) == 500 and long.message.startswith("Traceback line 1 xxx") and long.message.endswith("…")


def test_run_ids_from_event_resources():
    assert flow_run_id_from(f"prefect.flow-run.{RUN_ID}") == RUN_ID == flow_run_id_from(RUN_ID)


def test_notices_append_as_json_lines(tmp_path):
    path = tmp_path / "home" / "notifications.jsonl"
    assert read_notices(path) == []
    assert append_notice(path, notice())
    # The same run failing again after a retry is a new failure (a later state time): a new notice.
    assert append_notice(path, notice("again", occurred_at="2026-11-23T14:02:11+00:00"))
    first, second = read_notices(path)
    assert first["flow_run_id"] == RUN_ID and first["text"] == notice().text
    assert second["message"] == "again"


def test_a_repeated_delivery_of_one_failure_is_recorded_once(notify_settings, tmp_path):
    """Prefect's automation actions are at-least-once: one failure can start two notify runs."""
    from gridflow.notifications import record_notice

    inbox = tmp_path / "home" / "notifications.jsonl"
    first, again = record_notice(notice()), record_notice(notice())
    assert (first.written_to, first.fresh) == (str(inbox), True)
    assert (again.written_to, again.fresh) == (str(inbox), False)
    assert [n["text"] for n in read_notices(inbox)] == [notice().text]


class Hook(BaseHTTPRequestHandler):
    status = 200
    received: ClassVar[list[tuple[str, dict]]] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Hook.received.append((self.path, json.loads(body)))
        self.send_response(Hook.status)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def webhook() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", free_port()), Hook)
    Hook.received, Hook.status = [], 200
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/services/T000/B000/secret-token"
    server.shutdown()


def test_webhook_gets_the_notice(webhook):
    assert post_notice(webhook, notice()) == 200
    ((path, body),) = Hook.received
    assert path.endswith("/secret-token")
    assert body["text"] == notice().text and body["url"].endswith(RUN_ID)


@pytest.mark.parametrize(("status", "transient"), [(500, True), (429, True), (404, False)])
def test_webhook_errors_say_whether_to_retry_and_never_show_the_token(webhook, status, transient):
    Hook.status = status
    with pytest.raises(NotificationError) as caught:
        post_notice(webhook, notice())
    assert caught.value.transient is transient
    assert f"HTTP {status}" in str(caught.value) and "secret-token" not in str(caught.value)


def test_unreachable_webhook_is_transient_and_quiet_about_its_url():
    with pytest.raises(NotificationError) as caught:
        post_notice(f"http://127.0.0.1:{free_port()}/hooks/secret-token", notice(), timeout=2)
    assert caught.value.transient and "secret-token" not in str(caught.value)
    assert caught.value.__cause__ is None  # the httpx error (which names the URL) is not chained


@pytest.fixture
def notify_settings(tmp_path, monkeypatch):
    """Settings with GRIDFLOW_HOME in tmp_path; `set(key, value)` changes a GRIDFLOW_NOTIFY__ value."""
    from gridflow.config import reset_settings

    monkeypatch.setenv("GRIDFLOW_HOME", str(tmp_path / "home"))

    def set_notify(key: str, value: str) -> None:
        monkeypatch.setenv(f"GRIDFLOW_NOTIFY__{key.upper()}", value)
        reset_settings()

    reset_settings()
    yield set_notify
    reset_settings()


def test_record_notice_writes_the_inbox_unless_files_are_off(notify_settings, tmp_path):
    from gridflow.notifications import record_notice

    inbox = tmp_path / "home" / "notifications.jsonl"
    assert record_notice(notice()).written_to == str(inbox)
    assert [n["text"] for n in read_notices(inbox)] == [notice().text]
    notify_settings("write_file", "false")
    assert record_notice(notice("again")).written_to == "log"
    assert len(read_notices(inbox)) == 1


def test_configured_webhook_gets_the_notice_and_none_without_one(notify_settings, webhook):
    from gridflow.notifications import post_to_webhook

    assert post_to_webhook(notice()) is None and Hook.received == []
    notify_settings("webhook_url", webhook)
    assert post_to_webhook(notice()) == 200
    assert [body["text"] for _, body in Hook.received] == [notice().text]
