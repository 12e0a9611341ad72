"""Meter intervals on SQLite and PostgreSQL: round trip and the revision rule."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from gridflow.sources.meters.frame import build_meter_frame
from gridflow.warehouse import ledger
from gridflow.warehouse.meters import read_meter_intervals, write_meter_intervals


def frame(kwh: list[float], estimated: list[bool]) -> pd.DataFrame:
    """Three consecutive 15-minute consumption readings of meter M1 (CST)."""
    utc = pd.date_range("2025-01-01 06:00", periods=3, freq="15min", tz="UTC").asi8
    return build_meter_frame(meter_id=np.array(["M1"] * 3, dtype=object), channel=np.array(["consumption"] * 3, dtype=object),
                             utc_ns=utc, minutes=15, local_ns=utc - 6 * 3600 * 10**9, is_dst=np.zeros(3, bool),
                             kwh=kwh, is_estimated=estimated)


def ingest(db, data: pd.DataFrame) -> int:
    with db.begin() as conn:
        ingest_id = ledger.start_ingest(conn, "test", "meter_interval", "x", "sha")
        write_meter_intervals(conn, data, ingest_id)
    return ingest_id


def test_round_trip(db):
    data = frame([0.1, 0.2, 0.3], [False, True, False])
    first = ingest(db, data)
    with db.connect() as conn:
        back = read_meter_intervals(conn, meter_id="M1")
    pd.testing.assert_frame_equal(back.drop(columns="ingest_id"), data.astype({"meter_id": "string", "channel": "string"}))
    assert back["ingest_id"].tolist() == [first] * 3


def test_later_file_wins_but_estimate_never_replaces_actual(db):
    first = ingest(db, frame([0.1, 0.2, 0.3], [False, True, False]))
    # Later file: actual replaces actual, actual replaces estimate, estimate must NOT replace actual.
    second = ingest(db, frame([1.1, 1.2, 1.3], [False, False, True]))
    with db.connect() as conn:
        back = read_meter_intervals(conn)
    assert back["kwh"].tolist() == [1.1, 1.2, 0.3]
    assert back["is_estimated"].tolist() == [False, False, False]
    assert back["ingest_id"].tolist() == [second, second, first]


def test_reloading_an_older_batch_does_not_overwrite(db):
    with db.begin() as conn:
        old = ledger.start_ingest(conn, "test", "meter_interval", "old", "a")
        new = ledger.start_ingest(conn, "test", "meter_interval", "new", "b")
        write_meter_intervals(conn, frame([2.0, 2.0, 2.0], [False] * 3), new)
        write_meter_intervals(conn, frame([1.0, 1.0, 1.0], [False] * 3), old)
    with db.connect() as conn:
        assert read_meter_intervals(conn)["kwh"].tolist() == [2.0, 2.0, 2.0]


def series(meter: str, channel: str, start: str, periods: int, kwh: float, estimated: bool = False) -> pd.DataFrame:
    """`periods` 15-minute readings of one meter and channel from `start` (UTC), all `kwh`."""
    utc = pd.date_range(start, periods=periods, freq="15min", tz="UTC").as_unit("ns").asi8
    return build_meter_frame(meter_id=np.array([meter] * periods, dtype=object),
                             channel=np.array([channel] * periods, dtype=object), utc_ns=utc, minutes=15,
                             local_ns=utc - 6 * 3600 * 10**9, is_dst=np.zeros(periods, bool),
                             kwh=np.full(periods, kwh), is_estimated=estimated)


def count_appends(monkeypatch) -> list[int]:
    """Rows of every COPY straight into meter_interval (the append path), recorded in order."""
    from gridflow.warehouse import meters

    calls, real = [], meters.copy_frame

    def recording(conn, table, data):
        calls.append(len(data))
        return real(conn, table, data)

    monkeypatch.setattr(meters, "copy_frame", recording)
    return calls


def test_new_intervals_append_and_overlaps_take_the_revision_rule(db, monkeypatch):
    appends = count_appends(monkeypatch)
    first = ingest(db, pd.concat([series("M1", "consumption", "2025-01-01", 4, 1.0),
                                  series("M1", "generation", "2025-01-01", 4, 0.5)], ignore_index=True))
    # M2 is new but M1's consumption overlaps: the whole frame goes through the upsert.
    second = ingest(db, pd.concat([series("M2", "consumption", "2025-01-01", 2, 3.0),
                                   series("M1", "consumption", "2025-01-01 00:30", 4, 2.0, estimated=True),
                                   series("M1", "consumption", "2025-01-01 01:30", 1, 2.0)], ignore_index=True))
    # Same meter and channel, later span: nothing stored there, so it appends again.
    third = ingest(db, series("M1", "consumption", "2025-01-02", 3, 4.0))
    with db.connect() as conn:
        back = read_meter_intervals(conn)
    got = {(m, c, str(t.time())): (k, e, i) for m, c, t, k, e, i in
           back[["meter_id", "channel", "interval_start_utc", "kwh", "is_estimated", "ingest_id"]].itertuples(index=False)
           if t.day == 1}
    assert got[("M1", "consumption", "00:15:00")] == (1.0, False, first)
    assert got[("M1", "consumption", "00:30:00")] == (1.0, False, first)  # estimate never replaces actual
    assert got[("M1", "consumption", "01:00:00")] == (2.0, True, second)  # new interval, estimated
    assert got[("M1", "consumption", "01:30:00")] == (2.0, False, second)
    assert got[("M1", "generation", "00:00:00")] == (0.5, False, first)
    assert got[("M2", "consumption", "00:15:00")] == (3.0, False, second)
    assert len(back) == 4 + 4 + 2 + 3 + 3 and back["ingest_id"].tolist().count(third) == 3
    assert appends == ([8, 3] if db.dialect.name == "postgresql" else [])


def test_a_row_stored_after_the_probe_falls_back_to_the_revision_rule(db, monkeypatch):
    from gridflow.warehouse import meters

    first = ingest(db, series("M1", "consumption", "2025-01-01", 4, 1.0))
    appends = count_appends(monkeypatch)
    # As if another writer committed the overlapping rows between the probe and the COPY.
    monkeypatch.setattr(meters, "_stored_in_span", lambda conn, spans: False)
    second = ingest(db, series("M1", "consumption", "2025-01-01 00:30", 4, 2.0))
    with db.connect() as conn:
        back = read_meter_intervals(conn)
    assert back["kwh"].tolist() == [1.0, 1.0, 2.0, 2.0, 2.0, 2.0]
    assert back["ingest_id"].tolist() == [first, first, second, second, second, second]
    assert appends == ([4] if db.dialect.name == "postgresql" else [])  # tried, failed, rolled back


def test_rows_must_name_an_existing_ledger_entry(db):
    from gridflow.warehouse.ledger import LedgerError

    with db.begin() as conn, pytest.raises(LedgerError, match="no ingest with ledger id 424242"):
        write_meter_intervals(conn, series("M1", "consumption", "2025-01-01", 2, 1.0), 424242)
    with db.connect() as conn:
        assert read_meter_intervals(conn).empty


def test_ingest_id_has_no_foreign_key_but_keeps_its_index(db):
    # Migration 0005: the per-row foreign-key check gave way to the per-file ledger check above,
    # and on PostgreSQL the index is a block-range index (ingest ids grow in write order).
    inspector = sa.inspect(db)
    assert inspector.get_foreign_keys("meter_interval") == []
    [index] = inspector.get_indexes("meter_interval")
    assert index["column_names"] == ["ingest_id"]
    if db.dialect.name == "postgresql":
        assert index["dialect_options"]["postgresql_using"] == "brin"


def two_channels(meter: str, start: str = "2025-01-01") -> pd.DataFrame:
    # Channel names of different lengths: the COPY rows are not all the same width.
    return pd.concat([series(meter, "consumption", start, 5, 1.25), series(meter, "generation", start, 5, 0.5),
                      series(meter, "consumption", "2025-03-01", 2, 2.0, estimated=True)], ignore_index=True)


def test_rows_prepared_ahead_store_what_a_plain_write_stores(db):
    from gridflow.warehouse.meters import prepare_meter_rows

    with db.connect() as conn:
        prepared = prepare_meter_rows(conn, two_channels("PREPARED"))
    assert (prepared.encoded is not None) == (db.dialect.name == "postgresql")
    plain_id = ingest(db, two_channels("PLAIN"))
    with db.begin() as conn:
        prepared_id = ledger.start_ingest(conn, "test", "meter_interval", "p", "sha-p")
        assert write_meter_intervals(conn, prepared, prepared_id) == 12
        stamps = conn.execute(sa.text("SELECT DISTINCT updated_at FROM meter_interval WHERE meter_id = 'PREPARED'")).all()
    with db.connect() as conn:
        plain = read_meter_intervals(conn, meter_id="PLAIN")
        ahead = read_meter_intervals(conn, meter_id="PREPARED")
    assert len(stamps) == 1  # the write's own time, patched into every row
    assert ahead["ingest_id"].tolist() == [prepared_id] * 12 and plain["ingest_id"].tolist() == [plain_id] * 12
    pd.testing.assert_frame_equal(ahead.drop(columns=["meter_id", "ingest_id"]),
                                  plain.drop(columns=["meter_id", "ingest_id"]))


def test_prepared_rows_without_a_ledger_id_or_over_stored_rows_still_write_correctly(db):
    from gridflow.warehouse.meters import prepare_meter_rows

    with db.connect() as conn:
        fresh = prepare_meter_rows(conn, two_channels("M1"))
        overlapping = prepare_meter_rows(conn, series("M1", "consumption", "2025-01-01 00:30", 3, 9.0))
    with db.begin() as conn:
        write_meter_intervals(conn, fresh, None)  # NULL does not fit the encoded id's slot
    later = ingest(db, overlapping)
    with db.connect() as conn:
        back = read_meter_intervals(conn, meter_id="M1", channel="consumption")
    assert back["kwh"].tolist() == [1.25, 1.25, 9.0, 9.0, 9.0, 2.0, 2.0]
    assert back["ingest_id"].astype(object).where(back["ingest_id"].notna(), None).tolist() == [
        None, None, later, later, later, None, None]
