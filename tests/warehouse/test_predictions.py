"""`prediction_log`: the API's rows land once (a retried batch adds nothing) and read back typed,
by model, time and version; the measured health index is read per reading id for the A/B report."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from gridflow.sources.transformer_dga import parse_transformer_csv
from gridflow.warehouse.predictions import read_predictions, write_predictions
from gridflow.warehouse.transformers import read_health_index, write_transformer_readings

FIRST5 = Path(__file__).resolve().parents[1] / "fixtures" / "transformer" / "health_index_first5.csv"
T0 = datetime(2026, 12, 1, 12, tzinfo=UTC)


def _row(request_id: str, arm: str, index: int, version: str, prediction, *, at=T0, key="r1") -> dict:
    return {"request_id": request_id, "row_index": index, "arm": arm, "mode": "shadow",
            "returned": arm == "champion", "model_name": "m", "model_version": version, "request_key": key,
            "input_digest": "d" * 64, "prediction": prediction, "prediction_json": str(prediction),
            "latency_ms": 1.5, "client": "tests", "logged_at_utc": at}


def test_rows_are_written_once_and_read_back_by_model_time_and_version(db):
    batch = [_row("a", "champion", 0, "1", 10.0), _row("a", "challenger", 0, "2", 12.5),
             _row("a", "champion", 1, "1", None, key=None), _row("b", "champion", 0, "1", 3.0, at=T0 + timedelta(hours=2))]
    with db.begin() as conn:
        assert write_predictions(conn, batch) == 4
    with db.begin() as conn:  # the same batch again, as a retried flush would send it, plus one new row
        assert write_predictions(conn, [*batch, batch[0], _row("c", "champion", 0, "1", 1.0)]) == 1
    with db.connect() as conn:
        everything = read_predictions(conn, "m")
        later = read_predictions(conn, "m", since=T0 + timedelta(hours=1))
        challenger = read_predictions(conn, "m", versions=["2"])
        other = read_predictions(conn, "other")
    assert len(everything) == 5 and other.empty
    assert everything["request_id"].tolist() == ["a", "a", "a", "b", "c"]
    assert everything["prediction"].isna().tolist() == [False, False, True, False, False]
    assert everything["returned"].tolist() == [True, False, True, True, True]
    assert everything["request_key"].isna().tolist() == [False, False, True, False, False]
    assert later["request_id"].tolist() == ["b"]
    assert challenger["arm"].tolist() == ["challenger"] and challenger["prediction"].tolist() == [12.5]


def test_measured_health_index_by_reading_id(db):
    frame = parse_transformer_csv(FIRST5).frame
    with db.begin() as conn:
        write_transformer_readings(conn, frame, None)
    ids = frame["reading_id"].astype(str).tolist()
    with db.connect() as conn:
        found = read_health_index(conn, [ids[1], ids[0], "not-stored", ids[1]])
    assert found.to_dict() == {ids[0]: 95.2, ids[1]: frame["health_index"].iloc[1]}
