"""Watermarks on SQLite and PostgreSQL: upsert, never backwards unless forced, naive refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from gridflow.warehouse.watermarks import get_watermark, set_watermark

T0 = datetime(2023, 11, 5, 5, 0, tzinfo=UTC)


def test_unset_stream_has_no_watermark(db):
    with db.begin() as conn:
        assert get_watermark(conn, "pjm_api", "hrl_load_metered/AE") is None


def test_set_get_and_never_backwards(db):
    with db.begin() as conn:
        assert set_watermark(conn, "pjm_api", "hrl_load_metered/AE", T0, {"ledger_id": 1}) == T0
        # An aware non-UTC time is the same instant.
        later = datetime(2023, 11, 5, 2, 0, tzinfo=timezone(timedelta(hours=-5)))  # 07:00Z
        assert set_watermark(conn, "pjm_api", "hrl_load_metered/AE", later) == T0 + timedelta(hours=2)
        assert set_watermark(conn, "pjm_api", "hrl_load_metered/AE", T0) == T0 + timedelta(hours=2)
        assert get_watermark(conn, "pjm_api", "hrl_load_metered/AE") == T0 + timedelta(hours=2)
        assert set_watermark(conn, "pjm_api", "hrl_load_metered/AE", T0, force=True) == T0
        # Streams are independent.
        assert get_watermark(conn, "pjm_api", "hrl_load_metered/DPL") is None
    with db.connect() as conn:
        value = get_watermark(conn, "pjm_api", "hrl_load_metered/AE")
        assert value == T0 and value.tzinfo is not None


def test_rolled_back_transaction_leaves_no_watermark(db):
    with pytest.raises(RuntimeError), db.begin() as conn:
        set_watermark(conn, "pjm_api", "s", T0)
        raise RuntimeError("crash before commit")
    with db.connect() as conn:
        assert get_watermark(conn, "pjm_api", "s") is None


def test_naive_watermark_is_refused(db):
    with db.begin() as conn, pytest.raises(ValueError, match="naive"):
        set_watermark(conn, "pjm_api", "s", datetime(2023, 1, 1))
