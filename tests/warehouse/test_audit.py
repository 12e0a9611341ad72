"""Promotion audit: append-only, newest-first history, rollback stack semantics."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from gridflow.warehouse.audit import (
    current_champion,
    decision_history,
    previous_champion,
    record_decision,
)
from gridflow.warehouse.tables import promotion_audit

MODEL = "pjm_load_xgb"


def _decide(conn, action, to_version, from_version=None, model=MODEL, **extra):
    return record_decision(
        conn,
        model_name=model,
        action=action,
        from_version=from_version,
        to_version=to_version,
        actor="test",
        reason=f"{action} {to_version}",
        metrics={"mape": 0.05},
        **extra,
    )


def _promote(conn, *versions):
    for v in versions:
        _decide(conn, "promote", v, from_version=current_champion(conn, MODEL))


def _rollback(conn):
    target = previous_champion(conn, MODEL)
    _decide(conn, "rollback", target, from_version=current_champion(conn, MODEL))
    return target


def test_record_and_history_newest_first(db):
    with db.begin() as conn:
        first = _decide(conn, "promote", "1", trigger="scheduled weekly retrain")
        second = _decide(conn, "reject", "2", from_version="1", mlflow_run_id="abc123")
        _decide(conn, "keep", None, model="other_model")
    with db.connect() as conn:
        history = decision_history(conn, MODEL)
        assert [h["id"] for h in history] == [second, first]
        assert history[1]["trigger"] == "scheduled weekly retrain"
        assert history[0]["mlflow_run_id"] == "abc123"
        assert history[0]["metrics"] == {"mape": 0.05}
        assert history[0]["decided_at"].tzname() == "UTC"
        assert [h["id"] for h in decision_history(conn, MODEL, limit=1)] == [second]


def test_validation(db):
    with db.begin() as conn:
        with pytest.raises(ValueError, match="action"):
            _decide(conn, "demote", "1")
        with pytest.raises(ValueError, match="to_version"):
            _decide(conn, "rollback", None)
        with pytest.raises(ValueError, match="reason"):
            record_decision(
                conn, model_name=MODEL, action="keep", from_version="1", to_version=None,
                actor="t", reason="  ", metrics=None,
            )


def test_versions_are_stored_as_strings(db):
    with db.begin() as conn:
        record_decision(
            conn, model_name=MODEL, action="promote", from_version=None, to_version=3,
            actor="t", reason="first", metrics=None,
        )
        assert current_champion(conn, MODEL) == "3"


@pytest.mark.parametrize(
    "statement",
    [
        update(promotion_audit).values(reason="rewritten"),
        delete(promotion_audit),
    ],
    ids=["update", "delete"],
)
def test_audit_is_append_only(db, statement):
    with db.begin() as conn:
        _decide(conn, "promote", "1")
    with db.begin() as conn, pytest.raises((DBAPIError, IntegrityError), match="append-only"):
        conn.execute(statement)
    with db.connect() as conn:
        (row,) = decision_history(conn, MODEL)
    assert row["reason"] == "promote 1"


def test_never_promoted(db):
    with db.connect() as conn:
        assert current_champion(conn, MODEL) is None
        assert previous_champion(conn, MODEL) is None


def test_single_rollback_leaves_nothing_earlier(db):
    with db.begin() as conn:
        _promote(conn, "1", "2")
        assert previous_champion(conn, MODEL) == "1"
        assert _rollback(conn) == "1"
        assert current_champion(conn, MODEL) == "1"
        assert previous_champion(conn, MODEL) is None


def test_rollbacks_walk_down_the_stack(db):
    with db.begin() as conn:
        _promote(conn, "1", "2", "3")
        assert (current_champion(conn, MODEL), previous_champion(conn, MODEL)) == ("3", "2")
        assert _rollback(conn) == "2"
        assert (current_champion(conn, MODEL), previous_champion(conn, MODEL)) == ("2", "1")
        assert _rollback(conn) == "1"
        assert (current_champion(conn, MODEL), previous_champion(conn, MODEL)) == ("1", None)


def test_reject_and_keep_do_not_change_lineage(db):
    with db.begin() as conn:
        _promote(conn, "1", "2")
        _decide(conn, "reject", "3", from_version="2")
        _decide(conn, "keep", None, from_version="2")
        assert (current_champion(conn, MODEL), previous_champion(conn, MODEL)) == ("2", "1")


def test_promote_after_rollback_and_repromote(db):
    with db.begin() as conn:
        _promote(conn, "1", "2")
        _rollback(conn)  # back to 1; 2 was judged bad and is not a rollback target
        _promote(conn, "3")
        assert (current_champion(conn, MODEL), previous_champion(conn, MODEL)) == ("3", "1")
        _promote(conn, "3")  # re-promoting the champion changes nothing
        assert previous_champion(conn, MODEL) == "1"


def test_out_of_band_rollback(db):
    with db.begin() as conn:
        _promote(conn, "1", "2", "3")
        # Straight back to 1: 2 is skipped and discarded from the stack.
        _decide(conn, "rollback", "1", from_version="3")
        assert (current_champion(conn, MODEL), previous_champion(conn, MODEL)) == ("1", None)
        # To a version that was never champion: it becomes champion, the stack is untouched.
        _promote(conn, "4")
        _decide(conn, "rollback", "0", from_version="4")
        assert (current_champion(conn, MODEL), previous_champion(conn, MODEL)) == ("0", "1")


def test_lineage_is_per_model(db):
    with db.begin() as conn:
        _promote(conn, "1", "2")
        _decide(conn, "promote", "9", model="other_model")
        assert previous_champion(conn, "other_model") is None
        assert previous_champion(conn, MODEL) == "1"
