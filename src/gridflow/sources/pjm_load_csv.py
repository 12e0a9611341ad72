"""Pure parsers for hourly PJM load CSV files -> the canonical load frame (`gridflow.frames`).

Two formats are understood (background in docs/data-formats.md sections 2 and 5):

* Kaggle "Hourly Energy Consumption": header ``Datetime,<ZONE>_MW``, hour-ENDING labels in
  Eastern prevailing time, rows in year blocks with days running backwards.
* PJM Data Miner 2 ``hrl_load_metered`` CSV export: one row per load area and hour, UTC and EPT
  beginning times side by side.

The parsers read only the path or buffer they are given and never touch the network or disk
otherwise. Every format problem raises `ParseError`; softer findings (duplicates dropped, DST
decisions, gaps) are returned as human-readable `Parsed.issues`.
"""

from __future__ import annotations

import csv
import os
import re
from typing import IO, Any, Literal

import numpy as np
import pandas as pd

from gridflow import frames
from gridflow.errors import ParseError
from gridflow.ingest.contract import Parsed

PathOrBuffer = str | os.PathLike[str] | IO[str] | IO[bytes]

KAGGLE_TIME_COLUMN = "Datetime"
KAGGLE_HEADER = f"{KAGGLE_TIME_COLUMN},<ZONE>_MW"
DATAMINER_HRL_LOAD_METERED_COLUMNS = (
    "datetime_beginning_utc",
    "datetime_beginning_ept",
    "nerc_region",
    "mkt_region",
    "zone",
    "load_area",
    "mw",
    "is_verified",
)
KNOWN_HEADERS = (
    f"{KAGGLE_HEADER} (Kaggle PJM hourly load)",
    f"{','.join(DATAMINER_HRL_LOAD_METERED_COLUMNS)} (PJM Data Miner 2 hrl_load_metered)",
)

_KAGGLE_FORMAT = ("%Y-%m-%d %H:%M:%S", "YYYY-MM-DD HH:MM:SS")
_DATAMINER_FORMAT = ("%m/%d/%Y %I:%M:%S %p", "M/D/YYYY h:mm:ss AM/PM")
_KAGGLE_VALUE_COLUMN = re.compile(r"^(\w+)_MW$")
_HOUR = pd.Timedelta(hours=1)
_HOUR_NS = 3_600_000_000_000
_MAX_EXAMPLES = 5  # issues quote a few offending lines, not thousands
_NAN_WORDS = frozenset({"nan", "-nan", "+nan", "na", "n/a", "#n/a", "null", "none", "<na>"})
_TRUE_WORDS = frozenset({"true", "1"})
_FALSE_WORDS = frozenset({"false", "0"})


# --------------------------------------------------------------------------------------------
# Public parsers
# --------------------------------------------------------------------------------------------


def parse_kaggle_hourly(path_or_buffer: PathOrBuffer, source: str | None = None) -> Parsed:
    """Parse a Kaggle PJM hourly file (``Datetime,<ZONE>_MW``, hour-ending Eastern labels).

    Label ``L`` is the hour starting ``L - 1h`` local (America/New_York). Fall-back: the first
    occurrence of the ambiguous label in file order is the daylight (EDT) hour, the second the
    standard (EST) repeat; a label seen once is taken as EDT and reported. Duplicates (a repeat
    of an unambiguous label, or a third ambiguous one): the FIRST row in file order is kept and
    the rest are dropped and reported in ``issues``. Missing spring-forward hours are not invented.
    """
    src = _source_name(path_or_buffer, source)
    header, body = _read_rows(path_or_buffer, src)
    zone, value_column = _check_kaggle_header(header, src)

    label_text = body[0]
    labels = _parse_times(label_text, _KAGGLE_FORMAT, src, KAGGLE_TIME_COLUMN)
    mw = _parse_mw(body[1], src, value_column)
    lines = body.index.to_numpy()
    issues: list[str] = []

    local = pd.DatetimeIndex(labels - _HOUR)  # hour-ending label -> interval start
    utc, keep = _resolve_kaggle_local_times(local, lines, label_text, mw, src, issues)

    frame = canonical_load_frame(
        zone=np.full(int(keep.sum()), zone, dtype=object),
        utc=utc[keep],
        local=local[keep],
        mw=mw[keep],
    )
    issues.extend(gap_issues(frame))
    return Parsed(frame=frame, issues=issues, rows_read=len(body))


def parse_dataminer_hrl_load_metered(
    path_or_buffer: PathOrBuffer,
    source: str | None = None,
    level: Literal["zone", "load_area"] = "zone",
) -> Parsed:
    """Parse a Data Miner 2 ``hrl_load_metered`` CSV export and sum MW per zone and hour.

    Keyed on ``datetime_beginning_utc``; duplicates on (utc, zone, load_area) keep a verified row
    over an unverified one, else the last in file order. ``level="load_area"`` skips the sum.
    """
    if level not in ("zone", "load_area"):
        raise ValueError(f"level must be 'zone' or 'load_area', got {level!r}")
    src = _source_name(path_or_buffer, source)
    header, body = _read_rows(path_or_buffer, src)
    position = _check_dataminer_header(header, src)

    def column(name: str) -> pd.Series:
        return body[position[name]]

    utc_text = column("datetime_beginning_utc")
    ept_text = column("datetime_beginning_ept")
    utc_naive = _parse_times(utc_text, _DATAMINER_FORMAT, src, "datetime_beginning_utc")
    ept = _parse_times(ept_text, _DATAMINER_FORMAT, src, "datetime_beginning_ept")
    mw = _parse_mw(column("mw"), src, "mw")
    verified = _parse_bool(column("is_verified"), src, "is_verified")
    zone = _require_text(column("zone"), src, "zone")
    load_area = _require_text(column("load_area"), src, "load_area")
    lines = body.index.to_numpy()

    is_dst = ept_dst_flags(utc_naive, ept, src, [f"line {n}" for n in lines], utc_text, ept_text)
    utc = pd.DatetimeIndex(utc_naive).tz_localize("UTC")

    rows = pd.DataFrame(
        {
            "utc": utc.asi8,
            "zone": zone.to_numpy(dtype=object),
            "load_area": load_area.to_numpy(dtype=object),
            "verified": verified,
            "line": lines,
            "mw": mw,
            "local": ept.to_numpy(),
            "is_dst": is_dst,
        }
    )
    issues: list[str] = []
    rows = dedupe_load_area_rows(rows, issues)

    if level == "load_area":
        clash = rows.duplicated(["load_area", "utc"], keep=False)
        if clash.any():
            first = rows[clash].sort_values("line").iloc[0]
            zones = sorted(rows.loc[clash & (rows["load_area"] == first["load_area"]), "zone"].unique())
            raise ParseError(
                src,
                f"line {first['line']}: load_area {first['load_area']!r} appears under zones "
                f"{', '.join(zones)} in the same hour; cannot key on load_area",
            )
        out = rows.assign(zone=rows["load_area"])
    else:
        out = sum_load_areas(rows, issues)

    frame = canonical_load_frame(
        zone=out["zone"].to_numpy(dtype=object),
        utc=pd.DatetimeIndex(out["utc"].to_numpy().view("datetime64[ns]")).tz_localize("UTC"),
        local=pd.DatetimeIndex(out["local"].to_numpy()),
        mw=out["mw"].to_numpy(dtype="float64"),
        is_dst=out["is_dst"].to_numpy(dtype=bool),
    )
    issues.extend(gap_issues(frame))
    return Parsed(frame=frame, issues=issues, rows_read=len(body))


def detect_and_parse(path: str | os.PathLike[str]) -> Parsed:
    """Parse a PJM load CSV, choosing the Kaggle or Data Miner parser from its header line."""
    src = os.fspath(path)
    header = _peek_header(path, src)
    if header and header[0] == KAGGLE_TIME_COLUMN:
        return parse_kaggle_hourly(path, src)
    if {"datetime_beginning_utc", "datetime_beginning_ept"} & set(header):
        return parse_dataminer_hrl_load_metered(path, src)
    raise ParseError(
        src,
        f"unknown header {','.join(header)!r}; known headers: " + "; ".join(KNOWN_HEADERS),
    )


# --------------------------------------------------------------------------------------------
# Reading and field parsing
# --------------------------------------------------------------------------------------------


def _source_name(path_or_buffer: PathOrBuffer, source: str | None) -> str:
    if source is not None:
        return source
    if isinstance(path_or_buffer, str | os.PathLike):
        return os.fspath(path_or_buffer)
    return str(getattr(path_or_buffer, "name", "<buffer>"))


def _read_rows(path_or_buffer: PathOrBuffer, src: str) -> tuple[list[str], pd.DataFrame]:
    """Return the header names and the non-blank data rows (stripped strings).

    Rows are indexed by their 1-based file line number and columns by position, so every error
    can name its line; blank lines are kept while reading precisely so line numbers stay true.
    """
    try:
        raw = pd.read_csv(
            path_or_buffer,
            header=None,
            dtype=str,
            na_filter=False,
            skip_blank_lines=False,
            encoding="utf-8-sig",
        )
    except pd.errors.EmptyDataError:
        raise ParseError(src, "empty file: expected a header line and data rows") from None
    except pd.errors.ParserError as exc:
        raise ParseError(src, _describe_csv_error(exc)) from None
    except UnicodeDecodeError as exc:
        raise ParseError(src, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None

    raw.index = raw.index + 1
    raw = raw.apply(lambda col: col.str.strip())
    blank = (raw == "").all(axis=1)
    if blank.all():
        raise ParseError(src, "empty file: expected a header line and data rows")
    if blank.iloc[0]:
        raise ParseError(src, "line 1 is blank; expected the header line")
    # A text buffer keeps the BOM that the utf-8-sig decoder strips from files and bytes.
    header = [str(name).lstrip("\ufeff").strip() for name in raw.iloc[0]]
    body = raw.iloc[1:][~blank.iloc[1:]]
    if body.empty:
        raise ParseError(src, "no data rows after the header")
    return header, body


def _describe_csv_error(exc: Exception) -> str:
    text = " ".join(str(exc).split())
    match = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", text)
    if match:
        expected, line, saw = match.groups()
        return f"line {line}: {saw} fields but the header has {expected} (extra column or stray delimiter)"
    return f"malformed CSV: {text}"


def _peek_header(path: str | os.PathLike[str], src: str) -> list[str]:
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            first = handle.readline()
    except UnicodeDecodeError as exc:
        raise ParseError(src, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    if not first.strip():
        raise ParseError(src, "empty file: expected a header line and data rows")
    return [name.strip() for name in next(csv.reader([first.rstrip("\r\n")]))]


def _check_kaggle_header(header: list[str], src: str) -> tuple[str, str]:
    """Validate ``Datetime,<ZONE>_MW`` and return (zone, value column name)."""
    got = ",".join(header)
    if len(header) < 2:
        raise ParseError(src, f"missing column: header {got!r}, expected {KAGGLE_HEADER!r}")
    if len(header) > 2:
        raise ParseError(
            src,
            f"extra column(s) {header[2:]}: header {got!r}, expected {KAGGLE_HEADER!r}",
        )
    if header[0] != KAGGLE_TIME_COLUMN:
        raise ParseError(
            src,
            f"renamed column: first column is {header[0]!r}, expected {KAGGLE_TIME_COLUMN!r} "
            f"(header {KAGGLE_HEADER!r})",
        )
    match = _KAGGLE_VALUE_COLUMN.match(header[1])
    if not match:
        raise ParseError(
            src,
            f"renamed column: second column is {header[1]!r}, expected '<ZONE>_MW' (header {KAGGLE_HEADER!r})",
        )
    return match.group(1), header[1]


def _check_dataminer_header(header: list[str], src: str) -> dict[str, int]:
    """Validate the hrl_load_metered column set (any order) and return name -> position."""
    expected = set(DATAMINER_HRL_LOAD_METERED_COLUMNS)
    repeated = sorted({name for name in header if header.count(name) > 1})
    missing = [name for name in DATAMINER_HRL_LOAD_METERED_COLUMNS if name not in header]
    extra = [name for name in header if name not in expected]
    problems = []
    if repeated:
        problems.append(f"repeated column(s) {repeated}")
    if missing:
        problems.append(f"missing column(s) {missing}")
    if extra:
        problems.append(f"extra column(s) {extra}")
    if problems:
        hint = " (renamed?)" if missing and extra else ""
        raise ParseError(
            src,
            "; ".join(problems)
            + f"{hint}; expected hrl_load_metered columns "
            + ",".join(DATAMINER_HRL_LOAD_METERED_COLUMNS),
        )
    return {name: header.index(name) for name in DATAMINER_HRL_LOAD_METERED_COLUMNS}


def _parse_times(text: pd.Series, fmt: tuple[str, str], src: str, column: str) -> pd.Series:
    """Parse timestamps with one explicit format; never let pandas guess."""
    strptime_format, human_format = fmt
    # Hourly files repeat each timestamp per zone/load area: parse every distinct string once.
    codes, uniques = pd.factorize(text.to_numpy(dtype=object))
    parsed = pd.DatetimeIndex(
        pd.to_datetime(pd.Index(uniques, dtype=object), format=strptime_format, errors="coerce")
    ).as_unit("ns")
    values = parsed.take(codes)
    bad = np.flatnonzero(values.isna())
    if bad.size:
        i = bad[0]
        raw = text.iloc[i]
        what = (
            f"missing {column} timestamp"
            if raw == ""
            else f"unparseable {column} timestamp {raw!r} (expected {human_format})"
        )
        total = f"; {bad.size} bad timestamps in total" if bad.size > 1 else ""
        raise ParseError(src, f"line {text.index[i]}: {what}{total}")
    off_hour = np.flatnonzero(values.asi8 % _HOUR_NS != 0)
    if off_hour.size:
        i = off_hour[0]
        raise ParseError(
            src,
            f"line {text.index[i]}: {column} timestamp {text.iloc[i]!r} is not on the hour (hourly data expected)",
        )
    return pd.Series(values, index=text.index)


def _parse_mw(text: pd.Series, src: str, column: str) -> np.ndarray:
    """Parse MW as finite, non-negative float64; name the first bad line and the bad count."""
    raw = text.to_numpy(dtype=object)
    try:
        values = raw.astype("float64")  # fast path; to_numeric only to locate bad text
    except (ValueError, TypeError):
        values = np.asarray(pd.to_numeric(raw, errors="coerce"), dtype="float64")
    is_nan = np.isnan(values)
    bad = is_nan | np.isinf(values) | (values < 0)
    if bad.any():
        positions = np.flatnonzero(bad)
        i = positions[0]
        word = raw[i]
        if word == "":
            what = f"missing {column} value"
        elif is_nan[i] and word.lower() in _NAN_WORDS:
            what = f"NaN {column} value {word!r}"
        elif is_nan[i]:
            what = f"non-numeric {column} value {word!r}"
        elif np.isinf(values[i]):
            what = f"non-finite {column} value {word!r}"
        else:
            what = f"negative {column} value {word!r}"
        total = f"; {positions.size} bad {column} values in total" if positions.size > 1 else ""
        raise ParseError(src, f"line {text.index[i]}: {what}{total}")
    return values + 0.0  # turns -0.0 into 0.0


def _parse_bool(text: pd.Series, src: str, column: str) -> np.ndarray:
    lowered = text.str.lower()
    is_true = lowered.isin(_TRUE_WORDS).to_numpy(dtype=bool)
    is_false = lowered.isin(_FALSE_WORDS).to_numpy(dtype=bool)
    bad = np.flatnonzero(~(is_true | is_false))
    if bad.size:
        i = bad[0]
        raise ParseError(
            src,
            f"line {text.index[i]}: {column} must be True/False or 1/0, got {text.iloc[i]!r}",
        )
    return is_true


def _require_text(text: pd.Series, src: str, column: str) -> pd.Series:
    empty = np.flatnonzero((text == "").to_numpy(dtype=bool))
    if empty.size:
        raise ParseError(src, f"line {text.index[empty[0]]}: missing {column} value")
    return text


# --------------------------------------------------------------------------------------------
# Time resolution, dedupe, aggregation
# --------------------------------------------------------------------------------------------


def _resolve_kaggle_local_times(
    local: pd.DatetimeIndex,
    lines: np.ndarray,
    label_text: pd.Series,
    mw: np.ndarray,
    src: str,
    issues: list[str],
) -> tuple[pd.DatetimeIndex, np.ndarray]:
    """Map naive local interval starts (file order) to UTC; return (utc, rows to keep)."""
    tz = frames.PJM_TZ
    n = len(local)
    as_dst = local.tz_localize(tz, ambiguous=np.ones(n, dtype=bool), nonexistent="NaT")
    as_std = local.tz_localize(tz, ambiguous=np.zeros(n, dtype=bool), nonexistent="NaT")
    nonexistent = np.flatnonzero(as_dst.isna())
    if nonexistent.size:
        i = nonexistent[0]
        raise ParseError(
            src,
            f"line {lines[i]}: label {label_text.iloc[i]!r} is the hour starting {local[i]} "
            f"local, a wall time that does not exist in {tz} (spring-forward gap)",
        )
    ambiguous = as_dst.asi8 != as_std.asi8
    by_label = pd.Series(np.arange(n)).groupby(local.asi8, sort=False)
    occurrence = by_label.cumcount().to_numpy()  # rows are in file order
    std_repeat = ambiguous & (occurrence == 1)
    utc = pd.DatetimeIndex(np.where(std_repeat, as_std.asi8, as_dst.asi8).view("datetime64[ns]")).tz_localize("UTC")

    dropped = np.where(ambiguous, occurrence >= 2, occurrence >= 1)
    if dropped.any():
        first_line = by_label.transform("first").to_numpy()
        examples = []
        for i in np.flatnonzero(dropped)[:_MAX_EXAMPLES]:
            kept = first_line[i]
            same = "same MW" if mw[kept] == mw[i] else f"MW {mw[i]:g} vs kept {mw[kept]:g}"
            examples.append(f"line {lines[i]} repeats label {label_text.iloc[i]!r} of line {lines[kept]} ({same})")
        issues.append(
            f"{int(dropped.sum())} duplicate row(s) dropped, keeping the first in file order "
            "(two rows are allowed for the fall-back label): " + "; ".join(examples)
        )

    single = ambiguous & (by_label.transform("size").to_numpy() == 1)
    for i in np.flatnonzero(single):
        issues.append(
            f"fall-back day {local[i].date()}: label {label_text.iloc[i]!r} (line {lines[i]}) "
            f"appears once; taken as the daylight-time hour starting {utc[i]:%Y-%m-%d %H:%M}Z, "
            "the standard-time repeat is missing"
        )
    return utc, ~dropped


def ept_dst_flags(
    utc_naive: Any, ept: Any, source: str, where: list[str], utc_text: pd.Series, ept_text: pd.Series
) -> np.ndarray:
    """Check every EPT wall clock is the Eastern time of its UTC key; return the DST flags (EPT = UTC-4).

    Anything else means the export is corrupt or not what we think it is. `where` names each row
    (`line 12`, `item 3`) for the error message.
    """
    utc = pd.DatetimeIndex(utc_naive).tz_localize("UTC")
    expected = utc.tz_convert(frames.PJM_TZ).tz_localize(None)
    mismatch = np.flatnonzero(expected != pd.DatetimeIndex(ept))
    if mismatch.size:
        i = mismatch[0]
        raise ParseError(
            source,
            f"{where[i]}: datetime_beginning_ept {ept_text.iloc[i]!r} is not the {frames.PJM_TZ} time of "
            f"datetime_beginning_utc {utc_text.iloc[i]!r} (expected {expected[i]}; {mismatch.size} such row(s))",
        )
    return (pd.DatetimeIndex(utc_naive) - pd.DatetimeIndex(ept)).to_numpy() == np.timedelta64(4, "h")


def dedupe_load_area_rows(rows: pd.DataFrame, issues: list[str]) -> pd.DataFrame:
    """Keep one row per (utc, zone, load_area): verified beats unverified, then last line."""
    key = ["utc", "zone", "load_area"]
    if not rows.duplicated(key).any():
        return rows
    ordered = rows.sort_values(["verified", "line"], kind="stable")
    winner_line = ordered.groupby(key, sort=False)["line"].transform("last")
    losers = ordered[ordered["line"] != winner_line]
    examples = []
    for _, row in losers.sort_values("line").head(_MAX_EXAMPLES).iterrows():
        winner = rows.loc[rows["line"] == winner_line[row.name]].iloc[0]
        when = pd.Timestamp(row["utc"], tz="UTC")
        examples.append(
            f"line {row['line']} ({row['zone']}/{row['load_area']} {when:%Y-%m-%d %H:%M}Z, "
            f"{'verified' if row['verified'] else 'unverified'}) superseded by line "
            f"{winner['line']} ({'verified' if winner['verified'] else 'unverified'})"
        )
    issues.append(
        f"{len(losers)} duplicate row(s) on (datetime_beginning_utc, zone, load_area) dropped "
        "(a verified row beats an unverified one, otherwise the last in file order wins): " + "; ".join(examples)
    )
    return ordered.drop_duplicates(key, keep="last")


def sum_load_areas(rows: pd.DataFrame, issues: list[str]) -> pd.DataFrame:
    """Sum MW over load areas per (zone, hour); flag hours missing some of a zone's areas."""
    summed = (
        rows.groupby(["zone", "utc"], sort=False)
        .agg(
            mw=("mw", "sum"),
            local=("local", "first"),
            is_dst=("is_dst", "first"),
            areas=("load_area", "size"),
        )
        .reset_index()
    )
    usual = summed.groupby("zone")["areas"].transform("max")
    short = summed[summed["areas"] < usual]
    for zone, group in short.groupby("zone", sort=True):
        first = pd.Timestamp(group["utc"].min(), tz="UTC")
        issues.append(
            f"zone {zone}: {len(group)} hour(s) sum fewer load areas than the zone's usual "
            f"{int(usual[group.index[0]])} (first {first:%Y-%m-%d %H:%M}Z); the total may be low"
        )
    return summed


def canonical_load_frame(
    zone: np.ndarray,
    utc: pd.DatetimeIndex,
    local: pd.DatetimeIndex,
    mw: np.ndarray,
    is_dst: np.ndarray | None = None,
) -> pd.DataFrame:
    """Assemble the canonical load frame, sorted by key, with the contract's dtypes."""
    if is_dst is None:
        is_dst = _dst_flags(utc.tz_convert(frames.PJM_TZ))
    frame = pd.DataFrame(
        {
            frames.ZONE: pd.array(zone, dtype="string"),
            frames.INTERVAL_START_UTC: utc.as_unit("ns"),
            frames.INTERVAL_START_LOCAL: local.as_unit("ns"),
            frames.IS_DST: np.asarray(is_dst, dtype=bool),
            frames.LOAD_MW: np.asarray(mw, dtype="float64"),
        }
    )
    zone_codes, _ = pd.factorize(frame[frames.ZONE], sort=True)
    order = np.lexsort((utc.asi8, zone_codes))  # cheaper than sort_values on a string column
    return frame.take(order).reset_index(drop=True)[frames.LOAD_COLUMNS]


def _dst_flags(localized: pd.DatetimeIndex) -> np.ndarray:
    """True where the localized time's UTC offset is a daylight-saving offset."""
    offsets = localized.tz_localize(None).asi8 - localized.tz_convert("UTC").tz_localize(None).asi8
    _, first, inverse = np.unique(offsets, return_index=True, return_inverse=True)
    # There are only a couple of distinct offsets; ask the tz database about one of each.
    flags = np.array([bool(localized[i].dst()) for i in first], dtype=bool)
    return flags[inverse.reshape(-1)]


def gap_issues(frame: pd.DataFrame) -> list[str]:
    """One note per zone whose UTC hours are not contiguous: missing hours and gap count."""
    issues = []
    for zone, group in frame.groupby(frames.ZONE, sort=True, observed=True):
        stamps = group[frames.INTERVAL_START_UTC].array.asi8
        steps = np.diff(stamps) // _HOUR_NS
        gap_at = np.flatnonzero(steps > 1)
        if not gap_at.size:
            continue
        missing = int((steps[gap_at] - 1).sum())
        examples = ", ".join(
            f"{pd.Timestamp(stamps[i] + _HOUR_NS, tz='UTC'):%Y-%m-%d %H:%M}Z ({steps[i] - 1} h)"
            for i in gap_at[:_MAX_EXAMPLES]
        )
        more = ", ..." if gap_at.size > _MAX_EXAMPLES else ""
        issues.append(
            f"zone {zone}: {missing} missing hour(s) in {gap_at.size} gap(s) between "
            f"{pd.Timestamp(stamps[0], tz='UTC'):%Y-%m-%d %H:%M}Z and "
            f"{pd.Timestamp(stamps[-1], tz='UTC'):%Y-%m-%d %H:%M}Z: {examples}{more}"
        )
    return issues
