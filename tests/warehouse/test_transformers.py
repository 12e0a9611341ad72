"""`transformer_reading`: upsert by reading id (a corrected file replaces the reading) and the read."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from gridflow.sources.transformer_dga import READING_COLUMNS, parse_transformer_csv
from gridflow.warehouse.transformers import read_transformer_readings, write_transformer_readings

FIRST5 = Path(__file__).resolve().parents[1] / "fixtures" / "transformer" / "health_index_first5.csv"


def test_write_read_round_trip_and_upsert_by_reading_id(db):
    frame = parse_transformer_csv(FIRST5).frame
    with db.begin() as conn:
        assert write_transformer_readings(conn, frame, None) == 5
    corrected = frame.copy()
    corrected.loc[1, "health_index"] = 80.0
    corrected.loc[2, "sampled_at_utc"] = pd.Timestamp("2019-05-02 14:00", tz="UTC")
    with db.begin() as conn:
        write_transformer_readings(conn, corrected, None)
    with db.connect() as conn:
        stored = read_transformer_readings(conn)
    assert len(stored) == 5 and list(stored.columns) == [*READING_COLUMNS, "updated_at"]
    assert stored["health_index"].tolist() == [95.2, 80.0, 85.3, 85.3, 85.2]
    assert stored["sampled_at_utc"].iloc[2] == pd.Timestamp("2019-05-02 14:00", tz="UTC")
    assert stored["sampled_at_utc"].drop(index=2).isna().all()
    assert str(stored["updated_at"].dtype) == "datetime64[ns, UTC]"


def test_an_empty_table_reads_as_typed_empty_frame(db):
    with db.connect() as conn:
        stored = read_transformer_readings(conn)
    assert stored.empty and str(stored["sampled_at_utc"].dtype) == "datetime64[ns, UTC]"
