"""A few SGSC households of the shipped long meter file (.csv.gz) through the real drop-folder flow,
with the Sydney zone, into the warehouse; the re-run is idempotent."""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

pytestmark = pytest.mark.integration

SHIPPED = (Path(__file__).resolve().parents[2] / "data" / "meters" / "sgsc"
           / "sgsc_50_households_2011-12_to_2014-03.csv.gz")
HOUSEHOLDS = ("SGSC-10006414", "SGSC-10006572", "SGSC-10017550")
# Both Sydney DST changes of 2013 and a little either side (labels compare as text: ISO dates).
WINDOW = (b"2013-03-25", b"2013-10-15")


def few_households(path: Path) -> tuple[bytes, int]:
    """The shipped file cut to HOUSEHOLDS in WINDOW, gzipped again; and its data row count."""
    lines = gzip.decompress(SHIPPED.read_bytes()).split(b"\n")
    keep = [line for line in lines[1:] if line.split(b",", 1)[0].decode() in HOUSEHOLDS
            and WINDOW[0] <= line.split(b",")[1][:10] < WINDOW[1]]
    path.write_bytes(gzip.compress(b"\n".join([lines[0], *keep, b""]), mtime=0))
    return path.read_bytes(), len(keep)


def stored(engine) -> pd.DataFrame:
    with engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT meter_id, interval_start_utc, interval_minutes, interval_start_local, is_dst, kwh "
            "FROM meter_interval ORDER BY meter_id, interval_start_utc")).all()
    frame = pd.DataFrame(rows, columns=["meter_id", "utc", "minutes", "local", "is_dst", "kwh"])
    # SQLite hands back text, PostgreSQL datetimes: compare instants and wall clocks as such.
    utc = pd.to_datetime(frame["utc"].astype(str), format="ISO8601")
    frame["utc"] = utc.dt.tz_localize("UTC") if utc.dt.tz is None else utc.dt.tz_convert("UTC")
    frame["local"] = pd.to_datetime(frame["local"].astype(str), format="ISO8601")
    frame["is_dst"] = frame["is_dst"].astype(bool)
    return frame


def test_sgsc_households_load_with_sydney_clock_and_rerun_skips(warehouse_url, tmp_path):
    from flows.ingest_smart_meter import ingest_smart_meter
    from tasks.common import warehouse

    drop = tmp_path / "sgsc"
    drop.mkdir()
    _, rows = few_households(drop / "sgsc_3_households.csv.gz")

    report = ingest_smart_meter(str(drop), pattern="*.csv.gz", tz="Australia/Sydney")
    assert [o.status for o in report.outcomes] == ["loaded"]
    assert report.rows_written == rows
    got = stored(warehouse())
    assert len(got) == rows and set(got["meter_id"]) == set(HOUSEHOLDS)
    assert (got["minutes"] == 30).all()
    # Every label is AEST (+10:00): UTC is ten hours behind it, Sydney's clock 10 or 11 ahead of UTC.
    offset = (got["local"] - got["utc"].dt.tz_localize(None)).dt.total_seconds() / 3600
    assert set(offset) == {10.0, 11.0} and (got["is_dst"] == (offset == 11.0)).all()
    one = got[got["meter_id"] == "SGSC-10006572"]
    day = one["local"].dt.date.astype(str)
    assert (day == "2013-04-07").sum() == 50 and (day == "2013-10-06").sum() == 46  # Sydney's DST days
    first = one.iloc[0]
    # The file's first label, 2013-03-25T00:00+10:00, is 01:00 on Sydney's clock (daylight time).
    assert str(first["utc"]) == "2013-03-24 14:00:00+00:00" and str(first["local"]) == "2013-03-25 01:00:00"

    again = ingest_smart_meter(str(drop), pattern="*.csv.gz", tz="Australia/Sydney")
    assert [o.status for o in again.outcomes] == ["skipped"] and again.rows_written == 0
    pd.testing.assert_frame_equal(stored(warehouse()), got)
