"""Append-only audit of model promotion decisions, and the champion history derived from it.

Champion history is replayed from the `promote` and `rollback` rows of a model, oldest first,
with stack semantics:

- `promote` to X (X not already champion): the current champion, if any, is pushed on the
  stack and X becomes champion.
- `rollback` to X: if X is on the stack, everything above it is discarded and X is popped to
  become champion (the version rolled back from is NOT pushed: it was judged bad). If X is not
  on the stack (an out-of-band rollback), X becomes champion and the stack is left as it is.
- `reject` and `keep` change nothing.

`previous_champion` is the top of the stack: where the next rollback would go. After promote v1,
v2, v3: champion v3, previous v2; rollback -> champion v2, previous v1; rollback -> champion v1,
previous None. After promote v1, v2 and one rollback, there is nothing earlier: None.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, text

from gridflow.warehouse.engine import SQLITE_BEGIN
from gridflow.warehouse.tables import AUDIT_ACTIONS, promotion_audit

_LINEAGE_ACTIONS = ("promote", "rollback")
# First key of the PostgreSQL advisory lock of a champion move; the second is the model's hash.
_PG_CHAMPION_LOCK = 0x67666370  # "gfcp"
# A holder that hangs (a registry that stops answering) makes the next mover fail, not wait for ever.
_PG_LOCK_TIMEOUT = "120s"


def _version(value: Any) -> str | None:
    # MLflow model versions are ints in some APIs and strings in others; store one form.
    return None if value is None else str(value)


@contextmanager
def champion_lock(engine: Engine, model_name: str) -> Iterator[Connection]:
    """A warehouse transaction that no other process's champion move of `model_name` overlaps:
    read the alias, compare, move it and write the audit row inside it.

    PostgreSQL: a transaction-level advisory lock per model. SQLite: the database's write lock,
    taken at BEGIN (IMMEDIATE), so keep the body short. Both are released at commit or rollback,
    and by the database itself when the holder's connection dies with its process.
    """
    with engine.connect().execution_options(**{SQLITE_BEGIN: "IMMEDIATE"}) as conn, conn.begin():
        if conn.dialect.name == "postgresql":
            conn.execute(text(f"SET LOCAL lock_timeout = '{_PG_LOCK_TIMEOUT}'"))
            conn.execute(text("SELECT pg_advisory_xact_lock(:ns, hashtext(:model))"),
                         {"ns": _PG_CHAMPION_LOCK, "model": model_name})
        yield conn


def record_decision(
    conn: Connection,
    *,
    model_name: str,
    action: str,
    from_version: Any,
    to_version: Any,
    actor: str,
    reason: str,
    metrics: dict[str, Any] | None,
    trigger: str | None = None,
    mlflow_run_id: str | None = None,
) -> int:
    """Append one promotion decision (promote|reject|rollback|keep); returns its audit id."""
    if action not in AUDIT_ACTIONS:
        raise ValueError(f"action must be one of {AUDIT_ACTIONS}, not {action!r}")
    if not reason or not reason.strip():
        raise ValueError("a decision needs a reason an operator can read later")
    if action in _LINEAGE_ACTIONS and to_version is None:
        raise ValueError(f"a {action!r} decision needs to_version")
    result = conn.execute(
        insert(promotion_audit).values(
            model_name=model_name,
            action=action,
            from_version=_version(from_version),
            to_version=_version(to_version),
            actor=actor,
            decided_at=datetime.now(UTC),
            reason=reason,
            metrics=metrics,
            trigger=trigger,
            mlflow_run_id=mlflow_run_id,
        )
    )
    return int(result.inserted_primary_key[0])


def decision_history(conn: Connection, model_name: str, limit: int = 50) -> list[dict]:
    """The latest `limit` decisions for `model_name`, newest first, as plain dicts."""
    t = promotion_audit.c
    stmt = select(promotion_audit).where(t.model_name == model_name).order_by(t.id.desc())
    return [dict(row._mapping) for row in conn.execute(stmt.limit(limit))]


def _champion_lineage(conn: Connection, model_name: str) -> tuple[str | None, list[str]]:
    t = promotion_audit.c
    rows = conn.execute(
        select(t.action, t.to_version)
        .where(t.model_name == model_name, t.action.in_(_LINEAGE_ACTIONS))
        # id, not decided_at: ids follow insertion order even when two clocks tie or disagree.
        .order_by(t.id)
    )
    champion: str | None = None
    stack: list[str] = []
    for action, to_version in rows:
        if to_version is None:
            continue
        if action == "promote":
            if to_version != champion:
                if champion is not None:
                    stack.append(champion)
                champion = to_version
        elif to_version in stack:
            # The nearest occurrence: a version promoted twice is rolled back to its latest reign.
            del stack[_last_index(stack, to_version) :]
            champion = to_version
        else:
            champion = to_version
    return champion, stack


def _last_index(items: list[str], value: str) -> int:
    return len(items) - 1 - items[::-1].index(value)


def current_champion(conn: Connection, model_name: str) -> str | None:
    """The version the audit trail says is champion now, or None if never promoted."""
    return _champion_lineage(conn, model_name)[0]


def previous_champion(conn: Connection, model_name: str) -> str | None:
    """The champion before the current one, i.e. where a rollback would go; None if none left."""
    stack = _champion_lineage(conn, model_name)[1]
    return stack[-1] if stack else None


def decision_for_run(conn: Connection, model_name: str, mlflow_run_id: str) -> dict | None:
    """The gate decision recorded for a training run (the latest if several), or None if none is yet."""
    t = promotion_audit.c
    stmt = (select(promotion_audit).where(t.model_name == model_name, t.mlflow_run_id == mlflow_run_id,
                                          t.action.in_(("promote", "reject")))
            .order_by(t.id.desc()).limit(1))
    row = conn.execute(stmt).first()
    return None if row is None else dict(row._mapping)
