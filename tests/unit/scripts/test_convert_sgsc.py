"""scripts/convert_sgsc.py on a tiny .rds written with rdata, and (where /work/shared/data exists)
on the real SGSC file against the shipped one."""

from __future__ import annotations

import gzip
import importlib.util
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gridflow.sources.meters import parse_meter_file

ROOT = Path(__file__).resolve().parents[3]
_SPEC = importlib.util.spec_from_file_location("convert_sgsc", ROOT / "scripts" / "convert_sgsc.py")
convert_sgsc = importlib.util.module_from_spec(_SPEC)
sys.modules.setdefault("convert_sgsc", convert_sgsc)  # dataclasses look their module up there
_SPEC.loader.exec_module(convert_sgsc)

rdata = pytest.importorskip("rdata")  # the dev extra


def seconds(label: str) -> float:
    """A label as the source stores it: the AEST wall clock as if it were UTC, in seconds."""
    return pd.Timestamp(label, tz="UTC").timestamp()


# (customer, label, calendar_key, kWh), in the source's row order (customer, time, key).
ROWS = [
    # Spring-forward day with the artefact: the slots 03:00/03:30 labelled 02:00/02:30 again.
    (1, "2013-10-06 01:30", 10, 0.1), (1, "2013-10-06 02:00", 13, 0.2), (1, "2013-10-06 02:00", 19, 0.4),
    (1, "2013-10-06 02:30", 16, 0.3), (1, "2013-10-06 02:30", 22, 0.5), (1, "2013-10-06 04:00", 25, 0.6),
    # The same day for a meter without it: left alone.
    (2, "2013-10-06 02:00", 1, 1.0), (2, "2013-10-06 02:30", 4, 1.1), (2, "2013-10-06 03:00", 7, 1.2),
    (2, "2013-10-06 03:30", 10, 1.3),
    # An ordinary day: a conflicting repeat (both copies dropped) and an identical one (one kept).
    (3, "2012-09-24 12:00", 1, 0.7), (3, "2012-09-24 12:30", 4, 0.27), (3, "2012-09-24 12:30", 10, 0.5),
    (3, "2012-09-24 13:00", 7, 0.24), (3, "2012-09-24 13:00", 13, 0.24),
    # Fall-back day: 48 standard-time slots, written as they are with +10:00.
    (4, "2013-04-07 01:30", 1, 2.0), (4, "2013-04-07 02:00", 4, 2.5), (4, "2013-04-07 03:00", 7, 3.0),
]


def sgsc_frame(rows=ROWS) -> pd.DataFrame:
    n = len(rows)
    zeros = pd.array(np.zeros(n, dtype="int32"), dtype="Int32")
    return pd.DataFrame({
        "customer_id": pd.array([r[0] for r in rows], dtype="Int32"),
        "reading_datetime": [seconds(r[1]) for r in rows],
        "calendar_key": pd.array([r[2] for r in rows], dtype="Int32"),
        "event_key": zeros,
        "general_supply_kwh": [r[3] for r in rows],
        "controlled_load_kwh": pd.array([0] * (n - 1) + [None], dtype="Int32"),
        "gross_generation_kwh": zeros, "net_generation_kwh": zeros, "other_kwh": zeros,
    })


@pytest.fixture
def tiny_rds(tmp_path) -> Path:
    path = tmp_path / "tiny.rds"
    rdata.unparser.unparse_file(path, rdata.conversion.convert_python_to_r_data(sgsc_frame(), file_type="rds"),
                                file_type="rds")
    return path


def test_tiny_rds_converts_to_the_expected_lines(tiny_rds, tmp_path):
    out = tmp_path / "out" / "sgsc.csv.gz"
    assert convert_sgsc.main([str(tiny_rds), "--out", str(out)]) == 0
    lines = gzip.decompress(out.read_bytes()).decode().splitlines()
    assert lines == [
        "meter,timestamp,kWh",
        "SGSC-1,2013-10-06T01:30+10:00,0.1", "SGSC-1,2013-10-06T02:00+10:00,0.2",
        "SGSC-1,2013-10-06T02:30+10:00,0.3", "SGSC-1,2013-10-06T03:00+10:00,0.4",
        "SGSC-1,2013-10-06T03:30+10:00,0.5", "SGSC-1,2013-10-06T04:00+10:00,0.6",
        "SGSC-2,2013-10-06T02:00+10:00,1", "SGSC-2,2013-10-06T02:30+10:00,1.1",
        "SGSC-2,2013-10-06T03:00+10:00,1.2", "SGSC-2,2013-10-06T03:30+10:00,1.3",
        "SGSC-3,2012-09-24T12:00+10:00,0.7", "SGSC-3,2012-09-24T13:00+10:00,0.24",
        "SGSC-4,2013-04-07T01:30+10:00,2", "SGSC-4,2013-04-07T02:00+10:00,2.5",
        "SGSC-4,2013-04-07T03:00+10:00,3",
    ]


def test_output_is_byte_identical_on_every_run(tiny_rds, tmp_path):
    first, second = tmp_path / "a.csv.gz", tmp_path / "b.csv.gz"
    convert_sgsc.main([str(tiny_rds), "--out", str(first)])
    convert_sgsc.main([str(tiny_rds), "--out", str(second)])
    assert first.read_bytes() == second.read_bytes()


def test_conversion_counts_what_it_did(tiny_rds):
    result = convert_sgsc.convert(convert_sgsc.read_rds(tiny_rds))
    assert (result.read, result.repaired, result.dropped_conflicts, result.dropped_repeats) == (18, 2, 2, 1)
    assert len(result.rows) == 15


def test_only_spring_forward_days_are_repaired():
    days = pd.to_datetime(["2013-10-05", "2013-10-06", "2013-04-07", "2012-10-07"]).as_unit("ns").asi8
    assert convert_sgsc.spring_forward_days(days).tolist() == [False, True, False, True]
    # The artefact's shape on an ordinary day is left for the conflict rule.
    ordinary = [(r[0], r[1].replace("2013-10-06", "2013-10-13"), r[2], r[3]) for r in ROWS[:6]]
    result = convert_sgsc.convert(sgsc_frame(ordinary))
    assert result.repaired == 0 and result.dropped_conflicts == 4


def test_converted_file_parses_with_sydney_clock(tiny_rds, tmp_path):
    out = tmp_path / "sgsc.csv.gz"
    convert_sgsc.main([str(tiny_rds), "--out", str(out)])
    frame = parse_meter_file(out, tz="Australia/Sydney").frame
    one = frame[frame["meter_id"] == "SGSC-1"]
    # 02:00 AEST on the spring-forward day is 03:00 AEDT on Sydney's clock.
    assert one["interval_start_local"].dt.strftime("%H:%M").tolist() == ["01:30", "03:00", "03:30", "04:00",
                                                                         "04:30", "05:00"]
    assert one["is_dst"].tolist() == [False, True, True, True, True, True]
    # Meter 3 kept 12:00 and 13:00 only: its interval length is inferred from them alone.
    assert frame.groupby(frame["meter_id"].astype(str))["interval_minutes"].first().to_dict() == {
        "SGSC-1": 30, "SGSC-2": 30, "SGSC-3": 60, "SGSC-4": 30}


def test_a_table_without_the_sgsc_columns_is_refused(tmp_path):
    path = tmp_path / "other.rds"
    frame = pd.DataFrame({"x": [1.0]})
    rdata.unparser.unparse_file(path, rdata.conversion.convert_python_to_r_data(frame, file_type="rds"),
                                file_type="rds")
    with pytest.raises(ValueError, match="not the SGSC table"):
        convert_sgsc.read_rds(path)


def test_morning_ramp_shift_sees_a_household_waking_an_hour_earlier_in_the_labels():
    # Two weeks of households up at 07:00 by the labels, then two weeks up at 06:00 (clocks went forward).
    days = pd.date_range("2013-09-22", "2013-10-20", freq="D")
    label = pd.DatetimeIndex([d + pd.Timedelta(minutes=30 * s) for d in days for s in range(48)])
    slot = np.asarray(label.hour * 2 + label.minute // 30)
    wake = np.where(label.normalize() > pd.Timestamp("2013-10-06"), 12, 14)
    rows = pd.DataFrame({"meter": "SGSC-1", "label_ns": label.as_unit("ns").asi8,
                         "kwh": np.where(slot >= wake, 1.0, 0.1)})
    assert convert_sgsc.ramp_minutes(convert_sgsc.profile(rows, np.asarray(label < "2013-10-06"))) == 405
    assert convert_sgsc.ramp_shift_minutes(rows, "2013-10-06") == -60


@pytest.mark.skipif(not convert_sgsc.SOURCE.exists(), reason="the real SGSC .rds is only on machines with "
                                                             "/work/shared/data")
def test_real_rds_reproduces_the_shipped_file():
    result = convert_sgsc.convert(convert_sgsc.read_rds(convert_sgsc.SOURCE))
    assert (result.read, len(result.rows), result.rows["meter"].nunique()) == (1_278_870, 1_278_862, 50)
    assert (result.repaired, result.dropped_conflicts, result.dropped_repeats) == (154, 8, 0)
    assert convert_sgsc.render(result.rows) == gzip.decompress(convert_sgsc.OUT.read_bytes())
