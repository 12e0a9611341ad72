"""Property tests of the free-form `timestamp,kWh` parser: valid rows round-trip, garbage is a
ParseError and nothing else."""

from __future__ import annotations

import contextlib

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gridflow.errors import ParseError
from gridflow.sources.meters import parse_meter_bytes

QUARTER = 15 * 60


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    slots=st.lists(st.integers(min_value=0, max_value=4 * 24 * 365 * 20), min_size=1, max_size=60, unique=True),
    values=st.lists(st.floats(min_value=0, max_value=500, allow_nan=False), min_size=60, max_size=60),
    offset_hours=st.sampled_from([0, -5, -6, 2]),
)
def test_valid_rows_round_trip(slots, values, offset_hours):
    base = pd.Timestamp("2005-01-01", tz="UTC")
    utc = [base + pd.Timedelta(seconds=QUARTER * s) for s in slots]
    tz = "UTC" if offset_hours == 0 else f"Etc/GMT{-offset_hours:+d}"
    lines = [f"{t.tz_convert(tz).isoformat()},{v!r}" for t, v in zip(utc, values, strict=False)]
    parsed = parse_meter_bytes(("timestamp,kWh\n" + "\n".join(lines) + "\n").encode(), "m1.csv")
    got = parsed.frame.sort_values("interval_start_utc")
    order = np.argsort([t.value for t in utc])
    assert got["interval_start_utc"].tolist() == [utc[i] for i in order]
    assert got["kwh"].tolist() == [values[i] for i in order]
    assert set(got["meter_id"]) == {"m1"}
    assert got["channel"].eq("consumption").all()


@settings(max_examples=150, deadline=None)
@given(body=st.text(alphabet=st.sampled_from(list("0123456789-:T.Z+, \neabc")), max_size=120))
def test_garbage_is_parse_error_only(body):
    with contextlib.suppress(ParseError):
        parse_meter_bytes(("timestamp,kWh\n" + body).encode(), "g.csv")


@settings(max_examples=60, deadline=None)
@given(raw=st.binary(max_size=200))
def test_random_bytes_are_parse_error_only(raw):
    with contextlib.suppress(ParseError):
        parse_meter_bytes(raw, "r.csv")
