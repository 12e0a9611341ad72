"""Failure notifications for operators: what a notice says and where it goes.

Channels are pluggable by configuration (`GRIDFLOW_NOTIFY__*`): the log always, a JSON-lines file
under the data folder, and a webhook (Slack-compatible `text` field) when a URL is set. The webhook
URL often embeds a token, so it never appears in logs or error messages.
"""

from __future__ import annotations

import fcntl
import json
from dataclasses import asdict, dataclass
from pathlib import Path

from gridflow.config import get_settings
from gridflow.errors import GridflowError
from gridflow.runtime import log

NOTIFICATIONS_FILE = "notifications.jsonl"
MESSAGE_LIMIT = 500


class NotificationError(GridflowError):
    """A notification channel refused or could not be reached; `transient` says a retry may help."""

    def __init__(self, message: str, transient: bool = False) -> None:
        super().__init__(message)
        self.transient = transient


@dataclass(frozen=True)
class FailureNotice:
    """One failed (or crashed, timed-out) run, as operators are told about it."""

    flow_run_id: str
    flow_run_name: str
    deployment: str
    state: str
    message: str
    url: str
    occurred_at: str

    @property
    def text(self) -> str:
        """One human-readable line: what failed, why, and where to look."""
        why = f": {self.message}" if self.message else ""
        return f"gridflow: {self.deployment} run '{self.flow_run_name}' {self.state}{why} - {self.url}"

    def as_dict(self) -> dict[str, str]:
        """The notice's fields plus its `text` line (the field chat webhooks display)."""
        return {**asdict(self), "text": self.text}


@dataclass(frozen=True)
class RecordedNotice:
    """Where a notice was recorded, and whether it is new there (a repeat is not sent on)."""

    written_to: str  # the notifications file, or "log" when files are off
    fresh: bool


@dataclass(frozen=True)
class FailureNotification:
    """What one notify-failure run did: the notice, where it was recorded, the webhook's answer."""

    notice: FailureNotice
    written_to: str  # the notifications file, or "log" when files are off
    webhook_status: int | None  # None when no webhook is configured


def make_notice(*, flow_run_id: str, flow_run_name: str, deployment: str, state: str,
                message: str | None, url: str, occurred_at: str) -> FailureNotice:
    """A notice with the state message cut to one readable paragraph."""
    text = " ".join((message or "").split())
    if len(text) > MESSAGE_LIMIT:
        text = text[: MESSAGE_LIMIT - 1] + "…"
    return FailureNotice(flow_run_id=flow_run_id, flow_run_name=flow_run_name, deployment=deployment,
                         state=state, message=text, url=url, occurred_at=occurred_at)


def flow_run_id_from(value: str) -> str:
    """The bare run id from an event resource id (`prefect.flow-run.<id>`) or a bare id."""
    return value.removeprefix("prefect.flow-run.")


def append_notice(path: Path, notice: FailureNotice) -> bool:
    """Append the notice as one JSON line unless the inbox already holds it (same run, state and state
    time); returns whether it was appended.

    Prefect delivers automation actions at least once: after an event-store hiccup the same failure
    starts two notify runs, and operators should still get one notice.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # two notify runs of one failure start within a second
        handle.seek(0)
        if any(_same_failure(json.loads(line), notice) for line in handle if line.strip()):
            return False
        handle.write(json.dumps(notice.as_dict(), sort_keys=True) + "\n")
        return True


def _same_failure(recorded: dict[str, str], notice: FailureNotice) -> bool:
    return (recorded.get("flow_run_id"), recorded.get("state"), recorded.get("occurred_at")) == (
        notice.flow_run_id, notice.state, notice.occurred_at)


def record_notice(notice: FailureNotice) -> RecordedNotice:
    """Log the notice and append it to the notifications file (GRIDFLOW_NOTIFY__WRITE_FILE); says where,
    and whether it is new (a repeated delivery of a notice already recorded is not)."""
    settings = get_settings()
    if not settings.notify.write_file:
        log().warning(notice.text)
        return RecordedNotice("log", True)
    path = settings.home / NOTIFICATIONS_FILE
    fresh = append_notice(path, notice)
    if fresh:
        log().warning(notice.text)
    else:
        log().info(f"already notified: {notice.text}")
    return RecordedNotice(str(path), fresh)


def read_notices(path: Path) -> list[dict[str, str]]:
    """Every notice in a notifications file, oldest first; none when the file does not exist."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def post_notice(webhook_url: str, notice: FailureNotice, timeout: float = 10.0) -> int:
    """POST the notice as JSON to the webhook; returns the HTTP status.

    Errors name the webhook's host only: the path and query often carry the secret token.
    """
    import httpx

    host = httpx.URL(webhook_url).host
    try:
        response = httpx.post(webhook_url, json=notice.as_dict(), timeout=timeout)
    except httpx.HTTPError as exc:
        raise NotificationError(f"webhook at {host} unreachable: {type(exc).__name__}", transient=True) from None
    if response.status_code >= 400:
        raise NotificationError(f"webhook at {host} answered HTTP {response.status_code}",
                                transient=response.status_code >= 500 or response.status_code == 429)
    return response.status_code


def post_to_webhook(notice: FailureNotice) -> int | None:
    """POST the notice to the configured webhook (GRIDFLOW_NOTIFY__WEBHOOK_URL); None when there is none."""
    config = get_settings().notify
    if not config.webhook_url:
        return None
    status = post_notice(config.webhook_url, notice, timeout=config.timeout_seconds)
    log().info(f"webhook answered HTTP {status}")
    return status
