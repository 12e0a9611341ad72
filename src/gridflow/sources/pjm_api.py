"""Pure parsers for PJM Data Miner 2 API JSON items -> warehouse frames (docs/data-formats.md section 2).

* ``hrl_load_metered`` items -> the canonical load frame (`gridflow.frames`) plus ``is_verified``,
  summed over load areas per zone with the same dedupe rules as the CSV export parser
  (`gridflow.sources.pjm_load_csv`): a verified row beats an unverified one, else the later item.
* ``da_hrl_lmps`` items -> ``market_price`` rows (market ``PJM_DA``, node = pnode_id).

Keys come from ``datetime_beginning_utc`` (ISO text without offset, sometimes with milliseconds);
``datetime_beginning_ept`` must be its Eastern wall clock and is kept as the local time.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from gridflow import frames
from gridflow.errors import ParseError
from gridflow.ingest.contract import Parsed
from gridflow.sources.pjm_load_csv import (
    canonical_load_frame,
    dedupe_load_area_rows,
    ept_dst_flags,
    gap_issues,
    sum_load_areas,
)

IS_VERIFIED = "is_verified"
# The canonical load columns plus the source's verification flag (validate `frames.LOAD_COLUMNS`).
API_LOAD_COLUMNS = [*frames.LOAD_COLUMNS, IS_VERIFIED]
PRICE_COLUMNS = [
    "market", "node", "interval_start_utc", "interval_minutes", "interval_start_local", "is_dst",
    "price_usd_per_mwh",
]
PRICE_KEY = ["market", "node", "interval_start_utc"]
PJM_DA_MARKET = "PJM_DA"

HRL_LOAD_METERED_FIELDS = ("datetime_beginning_utc", "datetime_beginning_ept", "zone", "load_area", "mw",
                           "is_verified")
DA_HRL_LMPS_FIELDS = ("datetime_beginning_utc", "datetime_beginning_ept", "pnode_id", "total_lmp_da")

_HOUR_NS = 3_600_000_000_000
_TRUE = frozenset({"true", "1", "t", "yes"})
_FALSE = frozenset({"false", "0", "f", "no"})


def parse_hrl_load_metered(items: Sequence[dict[str, Any]], source: str = "hrl_load_metered") -> Parsed:
    """Items of ``hrl_load_metered`` -> load frame (`API_LOAD_COLUMNS`), summed per zone and hour.

    A zone-hour is verified only when every load area summed into it is verified.
    """
    if not items:
        return Parsed(_empty_load_frame(), [], 0)
    raw = _columns(items, HRL_LOAD_METERED_FIELDS, source)
    utc_naive, ept, is_dst = _times(raw, source)
    rows = pd.DataFrame(
        {
            "utc": utc_naive.asi8,
            "zone": _text(raw["zone"], source, "zone"),
            "load_area": _text(raw["load_area"], source, "load_area"),
            "verified": _bools(raw["is_verified"], source, "is_verified"),
            "line": np.arange(1, len(items) + 1),  # item number: issues name it as "line"
            "mw": _numbers(raw["mw"], source, "mw", non_negative=True),
            "local": ept.to_numpy(),
            "is_dst": is_dst,
        }
    )
    issues: list[str] = []
    rows = dedupe_load_area_rows(rows, issues)
    summed = sum_load_areas(rows, issues)
    verified = rows.groupby(["zone", "utc"], sort=False)["verified"].all().rename("all_verified")
    summed = summed.join(verified, on=["zone", "utc"])

    frame = canonical_load_frame(
        zone=summed["zone"].to_numpy(dtype=object),
        utc=pd.DatetimeIndex(summed["utc"].to_numpy().view("datetime64[ns]")).tz_localize("UTC"),
        local=pd.DatetimeIndex(summed["local"].to_numpy()),
        mw=summed["mw"].to_numpy(dtype="float64"),
        is_dst=summed["is_dst"].to_numpy(dtype=bool),
    )
    # canonical_load_frame sorts by (zone, utc); bring the flag along by key.
    flags = summed.set_index(["zone", "utc"])["all_verified"]
    key = pd.MultiIndex.from_arrays([frame[frames.ZONE].astype(object), frame[frames.INTERVAL_START_UTC].array.asi8])
    frame[IS_VERIFIED] = flags.reindex(key).to_numpy(dtype=bool)
    issues.extend(gap_issues(frame))
    return Parsed(frame[API_LOAD_COLUMNS], issues, len(items))


def parse_da_hrl_lmps(items: Sequence[dict[str, Any]], source: str = "da_hrl_lmps") -> Parsed:
    """Items of ``da_hrl_lmps`` -> ``market_price`` rows (`PRICE_COLUMNS`), price = ``total_lmp_da``.

    Rows with ``row_is_current`` false are dropped; remaining repeats of (pnode, hour) keep the
    highest ``version_nbr`` (else the later item).
    """
    if not items:
        return Parsed(_empty_price_frame(), [], 0)
    raw = _columns(items, DA_HRL_LMPS_FIELDS, source, optional=("row_is_current", "version_nbr"))
    utc_naive, ept, is_dst = _times(raw, source)
    node = _text(raw["pnode_id"].map(lambda v: None if v is None else str(v)), source, "pnode_id")
    rows = pd.DataFrame(
        {
            "node": node,
            "utc": utc_naive.asi8,
            "local": ept.to_numpy(),
            "is_dst": is_dst,
            "price": _numbers(raw["total_lmp_da"], source, "total_lmp_da", non_negative=False),
            "current": (_bools(raw["row_is_current"], source, "row_is_current", missing=True)),
            "version": pd.to_numeric(raw["version_nbr"], errors="coerce").fillna(-1).to_numpy(),
            "item": np.arange(len(items)),
        }
    )
    issues: list[str] = []
    stale = ~rows["current"]
    if stale.any():
        issues.append(f"{int(stale.sum())} item(s) with row_is_current false dropped (superseded versions)")
        rows = rows[~stale]
    ordered = rows.sort_values(["version", "item"], kind="stable")
    deduped = ordered.drop_duplicates(["node", "utc"], keep="last")
    if len(deduped) < len(rows):
        issues.append(f"{len(rows) - len(deduped)} repeated (pnode_id, hour) item(s) dropped, keeping the "
                      "highest version_nbr, else the later item")
    deduped = deduped.sort_values(["node", "utc"], kind="stable")
    frame = pd.DataFrame(
        {
            "market": pd.array([PJM_DA_MARKET] * len(deduped), dtype="string"),
            "node": pd.array(deduped["node"].to_numpy(dtype=object), dtype="string"),
            "interval_start_utc": pd.DatetimeIndex(deduped["utc"].to_numpy().view("datetime64[ns]"))
            .tz_localize("UTC"),
            "interval_minutes": np.full(len(deduped), 60, dtype="int64"),
            "interval_start_local": pd.DatetimeIndex(deduped["local"].to_numpy()).as_unit("ns"),
            "is_dst": deduped["is_dst"].to_numpy(dtype=bool),
            "price_usd_per_mwh": deduped["price"].to_numpy(dtype="float64"),
        }
    ).reset_index(drop=True)
    return Parsed(frame, issues, len(items))


def load_frame_from_api(frame: pd.DataFrame) -> pd.DataFrame:
    """The canonical load columns only, as the `pjm_load` suite and the features expect them."""
    return frame[frames.LOAD_COLUMNS]


# ------------------------------------------------------------------------------------------------
# Field parsing
# ------------------------------------------------------------------------------------------------


def _columns(items: Sequence[dict[str, Any]], required: Sequence[str], source: str,
             optional: Sequence[str] = ()) -> dict[str, pd.Series]:
    for i, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise ParseError(source, f"item {i}: expected a JSON object, got {type(item).__name__}")
        missing = [name for name in required if name not in item]
        if missing:
            raise ParseError(source, f"item {i}: missing field(s) {missing}; expected {list(required)}")
    return {name: pd.Series([item.get(name) for item in items], dtype=object)
            for name in (*required, *optional)}


def _parse_iso(values: pd.Series, source: str, column: str) -> pd.DatetimeIndex:
    codes, uniques = pd.factorize(values.to_numpy(dtype=object), use_na_sentinel=False)
    text = pd.Index([v if isinstance(v, str) else "" for v in uniques], dtype=object)
    has_offset = np.asarray(text.str.contains(r"(?:Z|[+-]\d\d:?\d\d)$", regex=True), dtype=bool)
    if has_offset.any():
        i = int(np.flatnonzero(has_offset[codes])[0])
        raise ParseError(source, f"item {i + 1}: {column} {values.iloc[i]!r} carries a UTC offset; "
                                 "the API sends ISO times without one")
    parsed = pd.DatetimeIndex(pd.to_datetime(text, format="ISO8601", errors="coerce")).as_unit("ns")
    out = parsed.take(codes)
    bad = np.flatnonzero(out.isna())
    if bad.size:
        raise ParseError(source, f"item {bad[0] + 1}: unparseable {column} {values.iloc[bad[0]]!r} "
                                 f"(expected ISO 8601 like 2024-10-01T04:00:00; {bad.size} bad in total)")
    off_hour = np.flatnonzero(out.asi8 % _HOUR_NS != 0)
    if off_hour.size:
        raise ParseError(source, f"item {off_hour[0] + 1}: {column} {values.iloc[off_hour[0]]!r} is not on "
                                 "the hour (hourly data expected)")
    return out


def _times(raw: dict[str, pd.Series], source: str) -> tuple[pd.DatetimeIndex, pd.DatetimeIndex, np.ndarray]:
    """(naive UTC, naive EPT, is_dst); the EPT must be the Eastern wall clock of the UTC key."""
    utc_naive = _parse_iso(raw["datetime_beginning_utc"], source, "datetime_beginning_utc")
    ept = _parse_iso(raw["datetime_beginning_ept"], source, "datetime_beginning_ept")
    where = [f"item {i + 1}" for i in range(len(utc_naive))]
    is_dst = ept_dst_flags(utc_naive, ept, source, where, raw["datetime_beginning_utc"], raw["datetime_beginning_ept"])
    return utc_naive, ept, is_dst


def _numbers(values: pd.Series, source: str, column: str, non_negative: bool) -> np.ndarray:
    numbers = np.asarray(pd.to_numeric(values.map(lambda v: None if isinstance(v, bool) else v),
                                       errors="coerce"), dtype="float64")
    bad = ~np.isfinite(numbers)
    if non_negative:
        bad |= numbers < 0
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ParseError(source, f"item {i + 1}: bad {column} value {values.iloc[i]!r} "
                                 f"({int(bad.sum())} bad in total)")
    return numbers + 0.0


def _bools(values: pd.Series, source: str, column: str, missing: bool | None = None) -> np.ndarray:
    def one(v: Any) -> bool | None:
        if isinstance(v, bool):
            return v
        if v is None:
            return missing
        word = str(v).strip().lower()
        return True if word in _TRUE else False if word in _FALSE else None

    parsed = [one(v) for v in values]
    bad = [i for i, v in enumerate(parsed) if v is None]
    if bad:
        raise ParseError(source, f"item {bad[0] + 1}: {column} must be true/false, got {values.iloc[bad[0]]!r}")
    return np.array(parsed, dtype=bool)


def _text(values: pd.Series, source: str, column: str) -> np.ndarray:
    cleaned = values.map(lambda v: v.strip() if isinstance(v, str) else v)
    empty = np.flatnonzero(cleaned.map(lambda v: not isinstance(v, str) or not v).to_numpy(dtype=bool))
    if empty.size:
        raise ParseError(source, f"item {empty[0] + 1}: missing {column} value")
    return cleaned.to_numpy(dtype=object)


def _empty_load_frame() -> pd.DataFrame:
    frame = frames.empty_load_frame()
    frame[IS_VERIFIED] = pd.Series(dtype="bool")
    return frame


def _empty_price_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "market": pd.Series(dtype="string"),
            "node": pd.Series(dtype="string"),
            "interval_start_utc": pd.Series(dtype="datetime64[ns, UTC]"),
            "interval_minutes": pd.Series(dtype="int64"),
            "interval_start_local": pd.Series(dtype="datetime64[ns]"),
            "is_dst": pd.Series(dtype="bool"),
            "price_usd_per_mwh": pd.Series(dtype="float64"),
        }
    )
