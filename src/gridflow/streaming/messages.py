"""The stream's wire formats (pure): a transformer reading in, its score out, a dead letter.

A reading is what a DGA monitor or a lab system sends: one JSON object with `reading_id`,
`asset_id`, an optional `sampled_at_utc` (ISO 8601 with an offset) and the raw measurements of
`transformer_reading` (`gridflow.transformers.health_model.MEASURED`); the consumer derives the
model's features (TDCG) itself, so senders never depend on the model's feature set. Other keys
are ignored, so a sender may add its own metadata. Anything else is a `MalformedMessage` naming
the field, and goes to the dead-letter topic.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from gridflow.errors import GridflowError
from gridflow.transformers.health_model import MEASURED

# `asset_health_score.reading_id` / `asset_id` are String(64).
MAX_ID_LENGTH = 64
# The ingestion suite's bound (expectations/transformer_reading.json): a million ppm is all gas.
MAX_GAS_PPM = 1_000_000.0
# Longest original message kept in a dead letter: enough to see what was wrong, bounded in size.
MAX_DEAD_LETTER_CHARS = 65_536


class MalformedMessage(GridflowError, ValueError):
    """A message that is not a reading: `field` names the offending key (None: the whole message)."""

    def __init__(self, detail: str, field: str | None = None) -> None:
        self.detail = detail
        self.field = field
        super().__init__(detail if field is None else f"field {field!r}: {detail}")


@dataclass(frozen=True)
class Reading:
    """One parsed reading: its ids, when it was sampled (if known) and the measured values."""

    reading_id: str
    asset_id: str
    sampled_at_utc: datetime | None
    values: dict[str, float]


@dataclass(frozen=True)
class Score:
    """The model's answer for one reading, as stored and published."""

    reading_id: str
    asset_id: str
    health_index: float
    threshold: float
    degraded: bool
    model_name: str
    model_version: str
    sampled_at_utc: datetime | None
    scored_at_utc: datetime


def parse_reading(body: bytes | str) -> Reading:
    """The reading in a message body; raises MalformedMessage naming the first wrong field."""
    if isinstance(body, bytes):
        try:
            body = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise MalformedMessage(f"not UTF-8 text: {exc}") from None
    try:
        payload = json.loads(body)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise MalformedMessage(f"not JSON: {exc}") from None
    if not isinstance(payload, dict):
        raise MalformedMessage(f"a reading is a JSON object, not {_kind(payload)}")
    return Reading(
        reading_id=_identifier(payload, "reading_id"),
        asset_id=_identifier(payload, "asset_id"),
        sampled_at_utc=_instant(payload, "sampled_at_utc"),
        values={name: _measurement(payload, name) for name in MEASURED},
    )


def reading_message(row: Mapping[str, Any]) -> bytes:
    """The message of one reading row (a `transformer_reading` row or a parsed CSV row)."""
    sampled = row.get("sampled_at_utc")
    payload: dict[str, Any] = {
        "reading_id": str(row["reading_id"]),
        "asset_id": str(row["asset_id"]),
        "sampled_at_utc": None if sampled is None or _missing(sampled) else _iso(sampled),
    }
    payload |= {name: float(row[name]) for name in MEASURED}
    return json.dumps(payload, separators=(",", ":")).encode()


def score_message(score: Score) -> bytes:
    """The output message of one score (JSON; times as UTC ISO 8601 with `Z`)."""
    return json.dumps({
        "reading_id": score.reading_id,
        "asset_id": score.asset_id,
        "health_index": score.health_index,
        "threshold": score.threshold,
        "degraded": score.degraded,
        "model_name": score.model_name,
        "model_version": score.model_version,
        "sampled_at_utc": None if score.sampled_at_utc is None else _iso(score.sampled_at_utc),
        "scored_at_utc": _iso(score.scored_at_utc),
    }, separators=(",", ":")).encode()


def dead_letter_message(body: bytes, error: MalformedMessage, consumer: str, at: datetime) -> bytes:
    """The dead letter of a malformed message: its text (bytes that are not UTF-8 shown as U+FFFD),
    the error and the field, which consumer refused it, and when."""
    text = body.decode("utf-8", errors="replace")
    return json.dumps({
        "message": text[:MAX_DEAD_LETTER_CHARS],
        "truncated": len(text) > MAX_DEAD_LETTER_CHARS,
        "error": str(error),
        "field": error.field,
        "consumer": consumer,
        "refused_at_utc": _iso(at),
    }, separators=(",", ":")).encode()


def _identifier(payload: dict[str, Any], name: str) -> str:
    if name not in payload:
        raise MalformedMessage("missing", name)
    value = payload[name]
    if not isinstance(value, str):
        raise MalformedMessage(f"must be a string, not {_kind(value)}", name)
    value = value.strip()
    if not value:
        raise MalformedMessage("is empty", name)
    if len(value) > MAX_ID_LENGTH:
        raise MalformedMessage(f"has {len(value)} characters, at most {MAX_ID_LENGTH}", name)
    return value


def _measurement(payload: dict[str, Any], name: str) -> float:
    if name not in payload:
        raise MalformedMessage("missing", name)
    value = payload[name]
    # bool is an int in Python, but `true` for a gas concentration is a sender bug worth naming.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise MalformedMessage(f"must be a number, not {_kind(value)}", name)
    try:
        number = float(value)
    except OverflowError:
        raise MalformedMessage("is too large", name) from None
    if not math.isfinite(number):
        raise MalformedMessage(f"must be finite, not {value}", name)
    if number < 0:
        raise MalformedMessage(f"must not be negative ({number:g})", name)
    if name.endswith("_ppm") and number > MAX_GAS_PPM:
        raise MalformedMessage(f"{number:g} ppm is above {MAX_GAS_PPM:,.0f}", name)
    return number


def _instant(payload: dict[str, Any], name: str) -> datetime | None:
    value = payload.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise MalformedMessage(f"must be an ISO 8601 string, not {_kind(value)}", name)
    try:
        when = datetime.fromisoformat(value.strip())
    except ValueError:
        raise MalformedMessage(f"{value[:40]!r} is not an ISO 8601 time", name) from None
    if when.tzinfo is None or when.utcoffset() is None:
        # A local time without its offset cannot be placed on the UTC axis.
        raise MalformedMessage(f"{value[:40]!r} has no UTC offset (add Z or +hh:mm)", name)
    return when.astimezone(UTC)


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return {bool: "a boolean", str: "a string", list: "an array", dict: "an object"}.get(
        type(value), "a number" if isinstance(value, int | float) else type(value).__name__)


def _missing(value: Any) -> bool:
    try:
        return bool(value != value)  # NaN / NaT: a missing sample time in a frame row
    except Exception:  # an ambiguous comparison is a present value
        return False


def _iso(value: Any) -> str:
    when = value.to_pydatetime() if hasattr(value, "to_pydatetime") else value
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).isoformat().replace("+00:00", "Z")
