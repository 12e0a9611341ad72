"""Which version answers a scoring request (pure): shadow and A/B traffic between `champion` and
`challenger` (rules: `ApiConfig.traffic`, env `GRIDFLOW_API__TRAFFIC`).

The arm is chosen per request, never per row, so one response is one version's answer:

- The request key is the `X-Request-Key` header when it is sent; else the value of the rule's key
  column in the first row that has one: the rows' common key when they share it, and a batch that
  mixes keys is assigned by its first keyed row (each row still logs its own key); else none.
- `ab`: the challenger answers when the bucket of (model, key) is below `share`. The bucket is
  sha256, not Python's `hash` (salted per process), so every replica, restart and the report agree,
  and a key always meets the same version (sticky). A request without a key gets the champion.
- `shadow`: the champion answers; the challenger scores the same rows after the answer, logged
  only (`returned` false).
- No distinct challenger loaded (no alias, not loaded yet, or the champion's own version): `serve`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from gridflow.serving.holder import Served
from gridflow.usecases.configs import TrafficRule

CHAMPION = "champion"
CHALLENGER = "challenger"
SERVE, SHADOW, AB = "serve", "shadow", "ab"
_SCALE = float(1 << 64)


def bucket(model: str, key: str) -> float:
    """The key's stable position in [0, 1) for `model`: the first 8 bytes of sha256(model NUL key)."""
    digest = hashlib.sha256(f"{model}\x00{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / _SCALE


def choose_arm(rule: TrafficRule | None, model: str, key: str | None) -> str:
    """`challenger` for an `ab` rule whose key falls below the share, else `champion`."""
    if rule is None or rule.mode != AB or key is None or rule.share is None:
        return CHAMPION
    return CHALLENGER if bucket(model, key) < rule.share else CHAMPION


def key_text(value: Any) -> str | None:
    """A key value as logged and hashed: text, None for a missing or empty value."""
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def split_key(rows: list[dict[str, Any]], column: str | None,
              model_inputs: dict[str, str]) -> tuple[list[dict[str, Any]], list[str | None]]:
    """Each row's key (None without one) and the rows the model scores: the key column is taken
    out when it is no model input (e.g. `reading_id`), so it never counts as an extra column."""
    if column is None:
        return rows, [None] * len(rows)
    keys = [key_text(row.get(column)) for row in rows]
    if column in model_inputs or not any(column in row for row in rows):
        return rows, keys
    return [{k: v for k, v in row.items() if k != column} for row in rows], keys


def request_key(header: str | None, row_keys: list[str | None]) -> str | None:
    """The request's key: the header, else the first row's key (the common one when rows share it)."""
    sent = key_text(header)
    if sent is not None:
        return sent
    return next((key for key in row_keys if key is not None), None)


@dataclass(frozen=True)
class Plan:
    """Who answers a request and who only scores it: taken once, like the champion itself."""

    mode: str  # serve | shadow | ab, as it actually happened
    arm: str  # champion | challenger: the arm whose answer is returned
    answer: Served
    shadow: Served | None = None  # scored after the answer is sent, never returned


def plan(rule: TrafficRule | None, model: str, key: str | None, champion: Served,
         challenger: Served | None) -> Plan:
    """The request's plan from the rule and the versions loaded right now."""
    if rule is None or rule.mode == SERVE or challenger is None or challenger.version == champion.version:
        return Plan(SERVE, CHAMPION, champion)
    if rule.mode == SHADOW:
        return Plan(SHADOW, CHAMPION, champion, shadow=challenger)
    if choose_arm(rule, model, key) == CHALLENGER:
        return Plan(AB, CHALLENGER, challenger)
    return Plan(AB, CHAMPION, champion)
