"""Pure parsers for ERCOT MIS report CSVs -> warehouse-shaped frames.

Each parser takes the CSV bytes (BOM and CRLF tolerated), checks the header, converts the
operating-day labels with `gridflow.sources.ercot.times`, and returns a `Parsed`. Every
format problem raises `ParseError` naming the line; softer findings (exact duplicate rows
dropped, filter names absent from the document) are returned as `issues`.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from gridflow import frames
from gridflow.errors import ParseError
from gridflow.ingest.contract import Parsed
from gridflow.sources.ercot import times

ERCOT_DAM = "ERCOT_DAM"
ENERGY_SOLD_SERIES = "dam_total_energy_sold"
INTERVAL_MINUTES = 60
_MAX_EXAMPLES = 5

# Header names vary between reports and years ("OperDay", "Delivery Date", "DSTFlag    ", ...):
# compare them without case, spaces or underscores.
DATE = ("deliverydate", "operday")
HOUR = ("hourending",)
DST = ("dstflag", "repeatedhourflag")
POINT = ("settlementpoint", "settlementpointname")
PRICE = ("settlementpointprice",)
ENERGY_SOLD = ("totaldamenergysold",)
WEATHER_ZONES = ("COAST", "EAST", "FAR_WEST", "NORTH", "NORTH_C", "SOUTHERN", "SOUTH_C", "WEST", "TOTAL")

DAM_SPP_HEADER = "DeliveryDate,HourEnding,SettlementPoint,SettlementPointPrice,DSTFlag"
# Inferred, not verified: no real 12334 file was found (docs/data-formats.md §1.4, from gridstatus' rename map).
DAM_ENERGY_SOLD_HEADER = "DeliveryDate,HourEnding,Settlement_Point,TotalDAMEnergySold,DSTFlag"
LOAD_WZ_HEADER = "OperDay,HourEnding," + ",".join(WEATHER_ZONES) + ",DSTFlag"


@dataclass(frozen=True)
class _Table:
    header: list[str]
    rows: pd.DataFrame  # all text, columns 0..n-1
    lines: np.ndarray  # 1-based file line of each row

    def column(self, position: int) -> pd.Series:
        return self.rows[position]


def _norm(name: str) -> str:
    return re.sub(r"[\s_]", "", name).lower()


def read_table(data: bytes, source: str) -> _Table:
    """CSV bytes -> header and text rows with their line numbers; BOM, CRLF and blank lines tolerated.

    Rows are checked as they are read, so a hostile body (NUL bytes, a huge field, millions of
    lines of the wrong width) stops at its first bad line with a ParseError naming it.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ParseError(source, f"not UTF-8 text at byte {exc.start}") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] | None = None
    body: list[list[str]] = []
    lines: list[int] = []
    try:
        for record in reader:
            if not any(cell.strip() for cell in record):
                continue
            if header is None:
                header = [h.strip() for h in record]
            elif len(record) != len(header):
                raise ParseError(source, f"line {reader.line_num}: {len(record)} fields, the header has {len(header)}")
            else:
                body.append(record)
                lines.append(reader.line_num)
    except csv.Error as exc:
        raise ParseError(source, f"line {reader.line_num}: unreadable CSV ({exc})") from None
    if header is None:
        raise ParseError(source, "empty CSV: no header line")
    if not body:
        raise ParseError(source, f"no data rows after the header {','.join(header)[:200]!r}")
    return _Table(header, pd.DataFrame(body, dtype="string"), np.array(lines))


def _locate(table: _Table, source: str, expected: str, required: dict[str, Sequence[str]],
            optional: dict[str, Sequence[str]] | None = None) -> dict[str, int | None]:
    normalized = [_norm(h) for h in table.header]
    found: dict[str, int | None] = {}
    missing = []
    for field, aliases in {**required, **(optional or {})}.items():
        position = next((i for i, h in enumerate(normalized) if h in aliases), None)
        if position is None and field in required:
            missing.append(field)
        found[field] = position
    if missing:
        raise ParseError(source, f"wrong CSV header {','.join(table.header)[:300]!r}: no column for "
                                 f"{', '.join(missing)}; expected {expected!r}")
    return found


def _numbers(values: pd.Series, table: _Table, source: str, column: str) -> np.ndarray:
    # Prices come space-padded ("       27.04"); anything else non-numeric is a broken file.
    stripped = values.str.strip()
    numbers = pd.to_numeric(stripped, errors="coerce")
    bad = numbers.isna().to_numpy()
    if bad.any():
        where = np.flatnonzero(bad)[:_MAX_EXAMPLES]
        shown = ", ".join(f"line {table.lines[i]}: {values.iloc[i]!r}" for i in where)
        raise ParseError(source, f"{column} must be a number; {int(bad.sum())} bad value(s), e.g. {shown}")
    return numbers.to_numpy(dtype="float64")


def _drop_exact_duplicates(table: _Table, issues: list[str]) -> _Table:
    dup = table.rows.apply(lambda c: c.str.strip()).duplicated(keep="first").to_numpy()
    if not dup.any():
        return table
    lines = table.lines[dup]
    issues.append(f"dropped {int(dup.sum())} exact duplicate row(s), e.g. line(s) "
                  f"{', '.join(str(x) for x in lines[:_MAX_EXAMPLES])}")
    keep = ~dup
    return _Table(table.header, table.rows[keep].reset_index(drop=True), table.lines[keep])


def _times(table: _Table, cols: dict[str, int | None], source: str,
           group: Sequence[object] | None) -> times.ErcotTimes:
    dates = times.parse_delivery_date(table.column(cols["date"]), source, table.header[cols["date"]], table.lines)
    hours = times.parse_hour_ending(table.column(cols["hour"]), source, table.lines)
    flag_col = cols.get("dst")
    flags = times.parse_dst_flag(None if flag_col is None else table.column(flag_col), len(table.rows),
                                 source, table.lines)
    return times.to_utc(dates, hours, flags, group, source, table.lines)


def _check_conflicts(frame: pd.DataFrame, key: list[str], lines: np.ndarray, source: str) -> None:
    # Exact duplicates were dropped already; two different values for one key cannot both be right.
    clash = frame.duplicated(key, keep=False).to_numpy()
    if clash.any():
        where = lines[clash][:_MAX_EXAMPLES]
        first = frame.loc[clash, key].iloc[0].tolist()
        raise ParseError(source, f"duplicate rows with different values for {dict(zip(key, first, strict=True))} "
                                 f"(lines {', '.join(str(x) for x in where)})")


def _filter(frame: pd.DataFrame, column: str, wanted: Collection[str] | None, issues: list[str],
            what: str) -> pd.DataFrame:
    if not wanted:
        return frame
    wanted = set(wanted)
    absent = sorted(wanted - set(frame[column]))
    if absent:
        issues.append(f"requested {what}(s) not in the document: {', '.join(absent)}")
    return frame[frame[column].isin(wanted)].reset_index(drop=True)


def _time_columns(t: times.ErcotTimes, mask: np.ndarray | None = None) -> dict[str, object]:
    utc, local, dst = t.interval_start_utc, t.interval_start_local, t.is_dst
    if mask is not None:
        utc, local, dst = utc[mask], local[mask], dst[mask]
    return {
        frames.INTERVAL_START_UTC: utc.as_unit("ns"),
        "interval_minutes": np.full(len(utc), INTERVAL_MINUTES, dtype="int64"),
        frames.INTERVAL_START_LOCAL: local.as_unit("ns"),
        frames.IS_DST: np.asarray(dst, dtype=bool),
    }


# ----------------------------------------------------------------------------------------------
# Report parsers
# ----------------------------------------------------------------------------------------------


def parse_dam_spp(data: bytes, source: str, only: Collection[str] | None = None) -> Parsed:
    """DAM Settlement Point Prices (RTID 12331, NP4-190-CD) -> `market_price` rows (market ERCOT_DAM)."""
    issues: list[str] = []
    table = read_table(data, source)
    rows_read = len(table.rows)
    cols = _locate(table, source, DAM_SPP_HEADER,
                   {"date": DATE, "hour": HOUR, "point": POINT, "price": PRICE}, {"dst": DST})
    table = _drop_exact_duplicates(table, issues)
    node = table.column(cols["point"]).str.strip()
    if (node == "").any():
        raise ParseError(source, f"line {table.lines[int(np.flatnonzero((node == '').to_numpy())[0])]}: "
                                 "empty SettlementPoint")
    price = _numbers(table.column(cols["price"]), table, source, table.header[cols["price"]])
    t = _times(table, cols, source, node.tolist())
    frame = pd.DataFrame({
        "market": ERCOT_DAM,
        "node": node.to_numpy(dtype=object),
        **_time_columns(t),
        "price_usd_per_mwh": price,
    })
    _check_conflicts(frame, ["node", frames.INTERVAL_START_UTC], table.lines, source)
    frame = _filter(frame, "node", only, issues, "settlement point")
    return Parsed(_sorted(frame, ["node"]), issues, rows_read)


def parse_dam_energy_sold(data: bytes, source: str, only: Collection[str] | None = None) -> Parsed:
    """DAM Total Energy Sold (RTID 12334, NP4-193-CD; header inferred) -> `market_quantity` rows.

    `market_quantity` has no node column, so each settlement point is its own series
    ``dam_total_energy_sold:<POINT>``, and series ``dam_total_energy_sold`` is the hourly sum over
    every point in the document (computed before any `only` filter, so it stays the system total).
    """
    issues: list[str] = []
    table = read_table(data, source)
    rows_read = len(table.rows)
    cols = _locate(table, source, DAM_ENERGY_SOLD_HEADER,
                   {"date": DATE, "hour": HOUR, "point": POINT, "energy": ENERGY_SOLD}, {"dst": DST})
    table = _drop_exact_duplicates(table, issues)
    point = table.column(cols["point"]).str.strip()
    energy = _numbers(table.column(cols["energy"]), table, source, table.header[cols["energy"]])
    t = _times(table, cols, source, point.tolist())
    per_point = pd.DataFrame({
        "market": ERCOT_DAM,
        "series": (ENERGY_SOLD_SERIES + ":" + point).to_numpy(dtype=object),
        **_time_columns(t),
        "value": energy,
        "unit": "MWh",
    })
    _check_conflicts(per_point, ["series", frames.INTERVAL_START_UTC], table.lines, source)
    time_cols = [frames.INTERVAL_START_UTC, "interval_minutes", frames.INTERVAL_START_LOCAL, frames.IS_DST]
    total = (per_point.groupby(time_cols, sort=True, as_index=False)["value"].sum()
             .assign(market=ERCOT_DAM, series=ENERGY_SOLD_SERIES, unit="MWh"))
    if only:
        per_point = _filter(per_point, "series", {f"{ENERGY_SOLD_SERIES}:{p}" for p in only}, issues,
                            "settlement point series")
    frame = pd.concat([total[per_point.columns], per_point], ignore_index=True)
    return Parsed(_sorted(frame, ["series"]), issues, rows_read)


def parse_actual_load_wz(data: bytes, source: str, only: Collection[str] | None = None) -> Parsed:
    """Actual System Load by Weather Zone (RTID 13101, NP6-345-CD) -> canonical load frame.

    Zones are ``ERCOT_<WEATHERZONE>`` (e.g. ERCOT_COAST) plus ``ERCOT_TOTAL``; `only` accepts
    either form.
    """
    issues: list[str] = []
    table = read_table(data, source)
    rows_read = len(table.rows)
    zone_cols = {z: (_norm(z),) for z in WEATHER_ZONES}
    cols = _locate(table, source, LOAD_WZ_HEADER, {"date": DATE, "hour": HOUR, **zone_cols}, {"dst": DST})
    table = _drop_exact_duplicates(table, issues)
    # One row carries every zone, so the row itself is the series for the DST check.
    t = _times(table, cols, source, None)
    parts = []
    for z in WEATHER_ZONES:
        mw = _numbers(table.column(cols[z]), table, source, table.header[cols[z]])
        tc = _time_columns(t)
        parts.append(pd.DataFrame({
            frames.ZONE: f"ERCOT_{z}",
            frames.INTERVAL_START_UTC: tc[frames.INTERVAL_START_UTC],
            frames.INTERVAL_START_LOCAL: tc[frames.INTERVAL_START_LOCAL],
            frames.IS_DST: tc[frames.IS_DST],
            frames.LOAD_MW: mw,
        }))
    frame = pd.concat(parts, ignore_index=True)
    lines = np.tile(table.lines, len(WEATHER_ZONES))
    _check_conflicts(frame, frames.LOAD_KEY, lines, source)
    wanted = None if not only else {z if z.upper().startswith("ERCOT_") else f"ERCOT_{z}" for z in only}
    wanted = None if wanted is None else {w.upper() for w in wanted}
    frame = _filter(frame, frames.ZONE, wanted, issues, "zone")
    frame[frames.ZONE] = frame[frames.ZONE].astype("string")
    return Parsed(_sorted(frame, [frames.ZONE])[frames.LOAD_COLUMNS], issues, rows_read)


def _sorted(frame: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    return frame.sort_values([*by, frames.INTERVAL_START_UTC], kind="stable").reset_index(drop=True)
