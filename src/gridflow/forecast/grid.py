"""A regular hourly grid per zone, so lags and windows are array offsets instead of joins."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

HOUR_NS = 3_600_000_000_000
MISSING = -1  # position meaning "not on the grid"; gathers turn it into NaN


def to_ns(values: pd.Series | pd.DatetimeIndex) -> np.ndarray:
    """Datetimes (naive or tz-aware) as int64 nanoseconds; tz-aware values are taken in UTC."""
    index = pd.DatetimeIndex(values)
    if index.tz is not None:
        index = index.tz_convert("UTC")
    return index.as_unit("ns").asi8.copy()


@dataclass(frozen=True)
class HourlyGrid:
    """Values of many zones on one shared regular hourly axis; gaps are NaN, never interpolated.

    `values[z, p]` is the value of zone code `z` for the hour starting at `origin_ns + p` hours.
    `row_zone` / `row_pos` locate each input row on the grid, in input order.
    """

    zones: pd.Index
    origin_ns: int
    values: np.ndarray
    row_zone: np.ndarray
    row_pos: np.ndarray

    @property
    def n_hours(self) -> int:
        """Length of the time axis."""
        return self.values.shape[1]

    @classmethod
    def build(cls, zone: pd.Series, time_ns: np.ndarray, value: np.ndarray) -> HourlyGrid:
        """Place rows on the grid; on a repeated (zone, time) the first row wins.

        Raises ValueError when times are not whole hours apart or missing.
        """
        if len(time_ns) == 0:
            raise ValueError("cannot build an hourly grid from zero rows")
        if (time_ns == np.iinfo(np.int64).min).any():
            raise ValueError("interval start times must not be missing")
        codes, zones = pd.factorize(zone.to_numpy(), sort=True)
        origin = int(time_ns.min())
        offset = time_ns - origin
        if (offset % HOUR_NS).any():
            raise ValueError("interval start times are not on a whole-hour grid")
        pos = offset // HOUR_NS
        n_hours = int(pos.max()) + 1
        values = np.full((len(zones), n_hours), np.nan)
        # numpy leaves the winner among repeated fancy indices unspecified: keep firsts explicitly.
        _, first = np.unique(codes * n_hours + pos, return_index=True)
        values[codes[first], pos[first]] = np.asarray(value, dtype="float64")[first]
        return cls(pd.Index(zones), origin, values, codes, pos)

    def times_ns(self) -> np.ndarray:
        """Start of every grid hour as int64 nanoseconds."""
        return self.origin_ns + np.arange(self.n_hours, dtype=np.int64) * HOUR_NS

    def positions(self, time_ns: np.ndarray) -> np.ndarray:
        """Grid position of each time, or MISSING when off the grid (or NaT)."""
        time_ns = np.asarray(time_ns, dtype=np.int64)
        offset = time_ns - self.origin_ns
        pos = offset // HOUR_NS
        ok = (
            (time_ns != np.iinfo(np.int64).min)
            & (offset % HOUR_NS == 0)
            & (pos >= 0)
            & (pos < self.n_hours)
        )
        return np.where(ok, pos, MISSING)

    def gather(self, table: np.ndarray, pos: np.ndarray, zone: np.ndarray | None = None) -> np.ndarray:
        """`table[zone, pos]` per row (zone defaults to each input row's zone); MISSING -> NaN."""
        zone = self.row_zone if zone is None else zone
        ok = pos != MISSING
        out = np.full(len(pos), np.nan)
        out[ok] = table[zone[ok], pos[ok]]
        return out
