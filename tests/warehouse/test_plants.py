"""`plant_hourly`: upsert by plant and content key (the same rows again add nothing) and the read."""

from __future__ import annotations

from pathlib import Path

from gridflow.sources.ccpp import READING_COLUMNS, parse_ccpp_csv
from gridflow.warehouse.plants import count_plant_readings, read_plant_readings, write_plant_readings

GOLDEN = Path(__file__).resolve().parents[1] / "fixtures" / "ccpp" / "Folds5x2_pp_first5_and_a_repeat.csv"


def test_write_read_round_trip_and_the_same_rows_reordered_add_nothing(db):
    frame = parse_ccpp_csv(GOLDEN).frame
    with db.begin() as conn:
        assert write_plant_readings(conn, frame, None) == 7
    with db.begin() as conn:
        write_plant_readings(conn, frame.iloc[::-1], None)
    with db.connect() as conn:
        stored = read_plant_readings(conn)
        assert count_plant_readings(conn) == 7 and count_plant_readings(conn, "elsewhere") == 0
    assert list(stored.columns) == [*READING_COLUMNS, "updated_at"]
    assert sorted(stored["reading_key"]) == sorted(frame["reading_key"])
    assert stored["reading_key"].str.endswith("-2").sum() == 1  # the repeated row is its own reading
    assert sorted(stored["net_output_mw"]) == sorted(frame["net_output_mw"])
    assert str(stored["updated_at"].dtype) == "datetime64[ns, UTC]"


def test_another_plant_with_the_same_values_is_another_row(db):
    frame = parse_ccpp_csv(GOLDEN).frame
    with db.begin() as conn:
        write_plant_readings(conn, frame, None)
        write_plant_readings(conn, frame.assign(plant_id="plant-b"), None)
    with db.connect() as conn:
        assert count_plant_readings(conn) == 14 and count_plant_readings(conn, "plant-b") == 7


def test_an_empty_table_reads_as_typed_empty_frame(db):
    with db.connect() as conn:
        stored = read_plant_readings(conn)
    assert stored.empty and str(stored["updated_at"].dtype) == "datetime64[ns, UTC]"
