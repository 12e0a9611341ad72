"""The stream's wire formats: a reading parses or is refused naming its field, whatever a sender puts
on the topic; scores and dead letters have a fixed shape."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gridflow.streaming.messages import (
    MalformedMessage,
    Score,
    dead_letter_message,
    parse_reading,
    reading_message,
    score_message,
)
from gridflow.transformers.health_model import MEASURED

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "transformer" / "health_index_first5.csv"


def reading(**changes) -> dict:
    base = {"reading_id": "TX-0001-S1", "asset_id": "TX-0001", "sampled_at_utc": "2024-05-01T06:30:00Z",
            **{name: 1.5 for name in MEASURED}}
    return {**base, **changes}


def body(payload) -> bytes:
    return json.dumps(payload).encode()


def test_a_reading_parses_with_its_ids_time_and_every_measurement():
    parsed = parse_reading(body(reading(hydrogen_ppm=2845, sampled_at_utc="2024-05-01T08:30:00+02:00", extra="kept out")))
    assert (parsed.reading_id, parsed.asset_id) == ("TX-0001-S1", "TX-0001")
    assert parsed.sampled_at_utc == datetime(2024, 5, 1, 6, 30, tzinfo=UTC)
    assert list(parsed.values) == MEASURED  # the model's measurements only, in order; other keys ignored
    assert parsed.values["hydrogen_ppm"] == 2845.0 and isinstance(parsed.values["hydrogen_ppm"], float)
    assert parse_reading(body(reading(sampled_at_utc=None))).sampled_at_utc is None


def test_the_shipped_csv_rows_become_messages_that_parse_back():
    from gridflow.sources.transformer_dga import parse_transformer_csv

    rows = parse_transformer_csv(FIXTURE).frame.to_dict(orient="records")
    first = json.loads(reading_message(rows[0]))
    # Golden: the first shipped transformer as a sensor would send it (no sample date in the source).
    assert first == {"reading_id": "TX-0001-S1", "asset_id": "TX-0001", "sampled_at_utc": None,
                     "hydrogen_ppm": 2845.0, "oxygen_ppm": 5860.0, "nitrogen_ppm": 27842.0, "methane_ppm": 7406.0,
                     "co_ppm": 32.0, "co2_ppm": 1344.0, "ethylene_ppm": 16684.0, "ethane_ppm": 5467.0,
                     "acetylene_ppm": 7.0, "dbds": 19.0, "power_factor": 1.0, "interfacial_v": 45.0,
                     "dielectric_rigidity": 55.0, "water_content": 0.0}
    for row in rows:
        parsed = parse_reading(reading_message(row))
        assert parsed.reading_id == row["reading_id"] and parsed.values == {m: row[m] for m in MEASURED}


@pytest.mark.parametrize(("payload", "field", "words"), [
    (b"\xff\xfe", None, "not UTF-8"),
    (b"{not json", None, "not JSON"),
    (b"[1, 2]", None, "JSON object, not an array"),
    (b'"TX-1"', None, "not a string"),
    (body({k: v for k, v in reading().items() if k != "reading_id"}), "reading_id", "missing"),
    (body(reading(reading_id=17)), "reading_id", "must be a string, not a number"),
    (body(reading(reading_id="   ")), "reading_id", "empty"),
    (body(reading(asset_id="A" * 65)), "asset_id", "65 characters"),
    (body({k: v for k, v in reading().items() if k != "acetylene_ppm"}), "acetylene_ppm", "missing"),
    (body(reading(co_ppm="12")), "co_ppm", "must be a number, not a string"),
    (body(reading(co_ppm=True)), "co_ppm", "not a boolean"),
    (body(reading(co_ppm=None)), "co_ppm", "not null"),
    (b'{"reading_id": "r", "asset_id": "a", "co_ppm": NaN}', "hydrogen_ppm", "missing"),
    (body(reading(dbds=-1)), "dbds", "negative"),
    (body(reading(methane_ppm=2e6)), "methane_ppm", "above 1,000,000"),
    (body(reading(water_content=10**400)), "water_content", "too large"),
    (body(reading(sampled_at_utc="yesterday")), "sampled_at_utc", "not an ISO 8601 time"),
    (body(reading(sampled_at_utc="2024-05-01T06:30:00")), "sampled_at_utc", "no UTC offset"),
    (body(reading(sampled_at_utc=1714545000)), "sampled_at_utc", "ISO 8601 string"),
])
def test_a_malformed_message_names_its_field(payload, field, words):
    with pytest.raises(MalformedMessage) as caught:
        parse_reading(payload)
    assert caught.value.field == field
    assert words in str(caught.value)


def test_non_finite_numbers_are_refused():
    raw = json.dumps(reading()).replace('"co_ppm": 1.5', '"co_ppm": Infinity').encode()
    with pytest.raises(MalformedMessage, match="finite") as caught:
        parse_reading(raw)
    assert caught.value.field == "co_ppm"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=6),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=200) | json_values.map(lambda v: json.dumps(v).encode()))
def test_anything_on_the_topic_parses_or_is_a_malformed_message(payload):
    try:
        parsed = parse_reading(payload)
    except MalformedMessage as exc:
        assert str(exc)
        assert exc.field is None or isinstance(exc.field, str)
    else:
        assert all(math.isfinite(v) and v >= 0 for v in parsed.values.values())


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from([*MEASURED, "reading_id", "asset_id", "sampled_at_utc"]), json_values))
def test_a_damaged_reading_is_refused_naming_a_field_it_damaged(damage):
    payload = reading(**damage)
    try:
        parse_reading(body(payload))
    except MalformedMessage as exc:
        assert exc.field in damage  # the named field is one the damage touched


def test_score_and_dead_letter_shapes():
    at = datetime(2024, 5, 1, 6, 30, tzinfo=timezone(timedelta(hours=2)))
    score = Score("r1", "TX-1", 55.5, 50.0, True, "transformer_health", "3", None, at)
    assert json.loads(score_message(score)) == {
        "reading_id": "r1", "asset_id": "TX-1", "health_index": 55.5, "threshold": 50.0, "degraded": True,
        "model_name": "transformer_health", "model_version": "3", "sampled_at_utc": None,
        "scored_at_utc": "2024-05-01T04:30:00Z"}
    error = MalformedMessage("must be a number, not a string", "co_ppm")
    letter = json.loads(dead_letter_message(b'{"co_ppm": "x"}\xff', error, "gridflow-stream@host", at))
    assert letter == {"message": '{"co_ppm": "x"}\ufffd', "truncated": False,
                      "error": "field 'co_ppm': must be a number, not a string", "field": "co_ppm",
                      "consumer": "gridflow-stream@host", "refused_at_utc": "2024-05-01T04:30:00Z"}
    huge = json.loads(dead_letter_message(b"x" * 100_000, MalformedMessage("not JSON"), "c", at))
    assert huge["truncated"] and len(huge["message"]) == 65_536
