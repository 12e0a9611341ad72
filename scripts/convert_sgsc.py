"""Convert the SGSC smart-meter households (.rds) to the shipped long meter file `meter,timestamp,kWh`.

Source: the Smart Grid Smart City customer trial (Ausgrid, NSW; data.gov.au, CC BY 3.0 AU), 50
households as published in Sayani07/gravitas @ eef200d `data/smart_meter_50_tbl.rds` (provenance
in /work/shared/data/FORMATS.md). Re-run from the repository root (needs the dev extra's `rdata`):

    .venv/bin/python scripts/convert_sgsc.py [SOURCE.rds] [--out data/meters/sgsc/FILE.csv.gz]
    .venv/bin/python scripts/convert_sgsc.py --evidence   # the figures below, nothing written

The output is the same bytes on every run (sorted rows, gzip without a name or time stamp).

What the timestamps are (measured on the 1,278,870 rows; the figures are in data/README.md):
`reading_datetime` is a POSIXct with tzone "UTC", but its wall clock is NOT UTC and NOT Sydney
civil time: it is Australian Eastern STANDARD time (AEST, UTC+10) all year, the NEM's market time,
stored as if it were UTC. Evidence: (1) every meter-day has 48 readings, also on Sydney's DST
days, whose civil days have 46 (October) and 50 (April) half hours; the April days have 48
distinct labels, no repeated hour. (2) Weekday household wake-up (the morning ramp, bound to the
clock on the wall) moves EARLIER in the labels when Sydney starts DST (-31 min 2012-10-07, -59 min
2013-10-06) and LATER when it ends (+50 min 2013-04-07), against -26..+36 min for the same test
4-8 weeks away from the changes (`ramp_shift_minutes`). (3) The night minimum sits at label 04:30,
so the labels are not UTC (that would be 14:30 in Sydney). (Summer against winter says little: the
ramp is at label 06:55 in Dec-Feb and 07:37 in Jun-Aug, but daylight moves it too.)

So every row is written as its label with the offset `+10:00`: the wall clock in the file is the
source's own, unshifted, and the offset makes each an exact instant. Read with the zone
Australia/Sydney, the ingestion keeps Sydney's civil wall clock and DST flag beside UTC (so a
summer evening label 19:00+10:00 is 20:00 AEDT, is_dst true).

The one DST artefact in the source: on Sydney's spring-forward days (2012-10-07, 2013-10-06) 77
of 79 meter-days carry the labels 02:00 and 02:30 twice and 03:00/03:30 never (upstream, the
standard-time slots 03:00 and 03:30 were relabelled an hour early). Where a meter-day shows
exactly that, the second copy of each label (by the source's `calendar_key`, which runs in slot
order through those days) is restored to 03:00/03:30 AEST (`repair_spring_forward`), which gives
the day its 48 distinct standard-time slots. Any other conflicting repeat of a (meter, label) is
dropped, both copies (2012-09-24 and 2014-03-03, one meter each); identical repeats keep one.

Columns: `general_supply_kwh` (the household's consumption) becomes `kWh`. Dropped:
`controlled_load_kwh` (integers 0-2 with NAs in this copy: not a usable reading),
`gross_generation_kwh`, `net_generation_kwh`, `other_kwh` (zero on every row: no generation
channel to keep), `event_key` (demand-response event ids) and `calendar_key` (used only above).
Meter ids are `SGSC-<customer_id>`, so they cannot collide with other meters.
"""

from __future__ import annotations

import argparse
import gzip
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from gridflow.sources.meters import dst

SOURCE = Path("/work/shared/data/smart_meter/sgsc/sgsc_smart_meter_50_tbl.rds")
OUT = Path(__file__).resolve().parents[1] / "data" / "meters" / "sgsc" / "sgsc_50_households_2011-12_to_2014-03.csv.gz"
TZ = "Australia/Sydney"
OFFSET = "+10:00"  # AEST: the source's labels, all year
METER_PREFIX = "SGSC-"
HEADER = "meter,timestamp,kWh"
COLUMNS = ["customer_id", "reading_datetime", "calendar_key", "event_key", "general_supply_kwh",
           "controlled_load_kwh", "gross_generation_kwh", "net_generation_kwh", "other_kwh"]
_NS_S = 1_000_000_000
_HALF_HOUR_NS = 30 * 60 * _NS_S
_HOUR_NS = 2 * _HALF_HOUR_NS


@dataclass(frozen=True)
class Conversion:
    """The long rows and what was done to get them, for the script's summary."""

    rows: pd.DataFrame  # meter, label_ns (naive AEST wall clock, int64), kwh
    read: int
    repaired: int  # spring-forward rows restored to 03:00/03:30
    dropped_conflicts: int
    dropped_repeats: int


def read_rds(path: Path) -> pd.DataFrame:
    """The .rds as a DataFrame with the SGSC columns (rdata; its 'missing constructor' notes silenced)."""
    import rdata  # dev extra: only this one-off conversion needs it

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Missing constructor", category=UserWarning)
        frame = rdata.conversion.convert(rdata.parser.parse_file(path))
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"{path}: not the SGSC table, lacks column(s) {missing}")
    return frame.reset_index(drop=True)


def labels_ns(seconds: pd.Series) -> np.ndarray:
    """POSIXct seconds -> int64 ns of their wall clock (the AEST label, stored as if UTC)."""
    values = seconds.to_numpy(dtype="float64")
    if np.isnan(values).any() or (values % 60 != 0).any():
        raise ValueError("reading_datetime has missing or non-whole-minute values")
    return values.astype("int64") * _NS_S


def spring_forward_days(day_ns: np.ndarray, tz: str = TZ) -> np.ndarray:
    """Mask of the local dates (naive midnights, ns) on which `tz` springs forward."""
    return dst.quarter_hours_per_day(day_ns, tz, minutes=30) < 48


def repair_spring_forward(meter: np.ndarray, label: np.ndarray, key: np.ndarray) -> tuple[np.ndarray, int]:
    """Labels with the spring-forward artefact undone: on a spring-forward day, a meter-day whose
    02:00 and 02:30 appear twice each and 03:00/03:30 never gets its later copies (by `key`) back
    at 03:00/03:30. Returns the new labels and how many rows moved."""
    day = label - label % (24 * _HOUR_NS)
    frame = pd.DataFrame({"m": meter, "day": day, "slot": (label - day) // _HALF_HOUR_NS, "key": key})
    days = np.unique(day)
    spring = days[spring_forward_days(days)]
    sub = frame[frame["day"].isin(spring)]
    counts = sub.groupby(["m", "day", "slot"]).size().unstack("slot", fill_value=0)
    for slot in (4, 5, 6, 7):
        if slot not in counts.columns:
            counts[slot] = 0
    broken = counts[(counts[4] == 2) & (counts[5] == 2) & (counts[6] == 0) & (counts[7] == 0)].index
    rows = sub[sub.set_index(["m", "day"]).index.isin(broken) & sub["slot"].isin([4, 5])]
    later = rows.sort_values("key", kind="stable").groupby(["m", "day", "slot"]).cumcount() == 1
    moved = later[later].index.to_numpy()
    out = label.copy()
    out[moved] += _HOUR_NS
    return out, len(moved)


def convert(frame: pd.DataFrame) -> Conversion:
    """The SGSC table -> long rows (meter, AEST label, kWh), sorted, one row per (meter, label)."""
    meter = (METER_PREFIX + frame["customer_id"].astype("int64").astype(str)).to_numpy(dtype=object)
    kwh = frame["general_supply_kwh"].to_numpy(dtype="float64")
    if np.isnan(kwh).any() or (kwh < 0).any():
        raise ValueError("general_supply_kwh has missing or negative values")
    label, repaired = repair_spring_forward(meter, labels_ns(frame["reading_datetime"]),
                                            frame["calendar_key"].to_numpy(dtype="int64"))
    rows = pd.DataFrame({"meter": meter, "label_ns": label, "kwh": kwh})
    repeated = rows.duplicated(["meter", "label_ns"], keep=False)
    clash = rows[repeated].groupby(["meter", "label_ns"])["kwh"].transform("nunique") > 1
    conflicting = np.zeros(len(rows), dtype=bool)
    conflicting[clash[clash].index] = True
    kept = rows[~conflicting]
    deduped = kept.drop_duplicates(["meter", "label_ns"])
    out = deduped.sort_values(["meter", "label_ns"], kind="stable").reset_index(drop=True)
    return Conversion(out, len(frame), repaired, int(conflicting.sum()), len(kept) - len(deduped))


def render(rows: pd.DataFrame) -> bytes:
    """The CSV bytes: header, then `meter,<label>+10:00,kWh` lines (shortest exact kWh text)."""
    codes, labels = pd.factorize(rows["label_ns"].to_numpy())
    stamps = pd.DatetimeIndex(labels.view("M8[ns]")).strftime("%Y-%m-%dT%H:%M").to_numpy(dtype=object) + OFFSET
    kcodes, kvalues = pd.factorize(rows["kwh"].to_numpy())
    numbers = np.array([_number(v) for v in kvalues], dtype=object)
    lines = rows["meter"].to_numpy(dtype=object) + "," + stamps[codes] + "," + numbers[kcodes]
    return (HEADER + "\n" + "\n".join(lines.tolist()) + "\n").encode("ascii")


def write(data: bytes, path: Path) -> None:
    """Write `data` gzip-compressed, byte-identical on every run (no name, mtime 0)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(data, compresslevel=9, mtime=0))


def ramp_shift_minutes(rows: pd.DataFrame, change_day: str, days: int = 14) -> float:
    """How far the weekday morning ramp (`ramp_minutes`) moves from the `days` before `change_day`
    to the `days` after."""
    label = pd.DatetimeIndex(rows["label_ns"].to_numpy().view("M8[ns]"))
    weekday = np.asarray(label.dayofweek < 5)
    date = label.normalize()
    change, span = pd.Timestamp(change_day), pd.Timedelta(days=days)
    before = weekday & np.asarray((date >= change - span) & (date < change))
    after = weekday & np.asarray((date > change) & (date <= change + span))
    return ramp_minutes(profile(rows, after)) - ramp_minutes(profile(rows, before))


def profile(rows: pd.DataFrame, pick: np.ndarray) -> np.ndarray:
    """Mean kWh of the picked rows per label half hour (48 values, 00:00 first)."""
    label = pd.DatetimeIndex(rows["label_ns"].to_numpy()[pick].view("M8[ns]"))
    slot = np.asarray(label.hour * 2 + label.minute // 30)
    return pd.Series(rows["kwh"].to_numpy()[pick]).groupby(slot).mean().reindex(range(48)).to_numpy()


def ramp_minutes(day_profile: np.ndarray) -> float:
    """Minutes after midnight at which the morning ramp crosses half-way from the night minimum
    to the morning peak (04:00-09:30), interpolated: the household's wake-up, set by its clock."""
    morning = day_profile[8:20]
    half = (morning[:4].min() + morning.max()) / 2
    i = int(np.argmax(morning > half))
    return (8 + i - 1 + (half - morning[i - 1]) / (morning[i] - morning[i - 1])) * 30


def evidence(rows: pd.DataFrame) -> list[str]:
    """The timestamp finding's figures, recomputed from the converted rows (`--evidence`)."""
    out = []
    label = pd.DatetimeIndex(rows["label_ns"].to_numpy().view("M8[ns]"))
    per_day = pd.Series(1, index=[rows["meter"].to_numpy(), label.normalize()]).groupby(level=[0, 1]).size()
    for day in ("2012-04-01", "2012-10-07", "2013-04-07", "2013-10-06"):
        counts = per_day.xs(pd.Timestamp(day), level=1).value_counts().to_dict()
        out.append(f"{day} (Sydney DST change): readings per meter-day {counts}")
    for day, clocks in (("2012-10-07", "+1 h"), ("2013-04-07", "-1 h"), ("2013-10-06", "+1 h")):
        shift = ramp_shift_minutes(rows, day)
        controls = [ramp_shift_minutes(rows, str((pd.Timestamp(day) + pd.Timedelta(days=k)).date()))
                    for k in (-56, -42, -28, 28, 42, 56)]
        out.append(f"{day} clocks {clocks}: weekday morning ramp moves {shift:+.0f} min in the labels; "
                   f"same test 4-8 weeks away: {', '.join(f'{c:+.0f}' for c in controls)}")
    for season, months in (("summer (Dec-Feb, Sydney in DST)", (12, 1, 2)), ("winter (Jun-Aug)", (6, 7, 8))):
        day = profile(rows, np.asarray(label.month.isin(months) & (label.dayofweek < 5)))
        peak = int(np.argmax(day[30:46])) + 30
        out.append(f"{season}: weekday morning ramp at label {ramp_minutes(day) / 60:.2f} h, evening peak at "
                   f"label {peak // 2:02d}:{peak % 2 * 30:02d}")
    low = rows.groupby(label.hour * 2 + label.minute // 30)["kwh"].mean().idxmin()
    out.append(f"lowest mean half hour of the day: label {low // 2:02d}:{low % 2 * 30:02d}")
    return out


def _number(value: float) -> str:
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


def main(argv: list[str] | None = None) -> int:
    """Convert SOURCE to the shipped file and print what was done."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", nargs="?", type=Path, default=SOURCE)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--evidence", action="store_true", help="print the timestamp finding's figures, write nothing")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    result = convert(read_rds(args.source))
    if args.evidence:
        print("\n".join(evidence(result.rows)))
        return 0
    data = render(result.rows)
    write(data, args.out)
    rows = result.rows
    print(f"{args.out}: {len(rows):,} rows of {rows['meter'].nunique()} meters from {result.read:,} read; "
          f"{result.repaired} spring-forward rows restored to 03:00/03:30, {result.dropped_conflicts} "
          f"conflicting and {result.dropped_repeats} identical repeats dropped; {len(data):,} bytes CSV, "
          f"{args.out.stat().st_size:,} gzipped; {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
