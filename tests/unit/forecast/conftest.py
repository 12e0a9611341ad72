"""Fixtures for the forecast tests: the real PJME file as a canonical load frame, and synthetic loads.

The PJME parser lives elsewhere (src/gridflow/sources); this is a deliberately tiny stand-in so the
forecast core can be tested on its own.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gridflow.frames import (
    INTERVAL_START_LOCAL,
    INTERVAL_START_UTC,
    IS_DST,
    LOAD_COLUMNS,
    LOAD_KEY,
    LOAD_MW,
    PJM_TZ,
    ZONE,
)

PJME_CSV = Path(__file__).resolve().parents[3] / "data" / "PJME_hourly.csv"


def canonical_from_local(
    zone: str, local_start: pd.Series, load: np.ndarray, tz: str = PJM_TZ
) -> pd.DataFrame:
    """Canonical load frame from naive local interval starts, in order of occurrence.

    The first of two identical wall-clock starts (fall-back) is taken as daylight time; starts that
    do not exist (spring-forward) are dropped, as are duplicate keys.
    """
    local = pd.Series(pd.to_datetime(local_start).astype("datetime64[ns]").to_numpy())
    first_seen = ~local.duplicated(keep="first").to_numpy()
    utc = (
        pd.DatetimeIndex(local)
        .tz_localize(tz, ambiguous=first_seen, nonexistent="NaT")
        .tz_convert("UTC")
    )
    frame = pd.DataFrame(
        {
            ZONE: pd.Series(zone, index=range(len(local)), dtype="string"),
            INTERVAL_START_UTC: utc.astype("datetime64[ns, UTC]"),
            LOAD_MW: np.asarray(load, dtype="float64"),
        }
    )
    frame = frame.dropna(subset=[INTERVAL_START_UTC])
    frame = frame.drop_duplicates(subset=LOAD_KEY, keep="first")
    frame = frame.sort_values(INTERVAL_START_UTC, kind="stable").reset_index(drop=True)
    local_aware = frame[INTERVAL_START_UTC].dt.tz_convert(tz)
    frame[INTERVAL_START_LOCAL] = local_aware.dt.tz_localize(None).astype("datetime64[ns]")
    frame[IS_DST] = np.array([bool(ts.dst()) for ts in local_aware], dtype=bool) if len(frame) else []
    return frame[LOAD_COLUMNS]


def read_pjme(path: Path = PJME_CSV) -> pd.DataFrame:
    """PJME_hourly.csv (hour-ending Eastern labels, unsorted) as a canonical load frame."""
    raw = pd.read_csv(path)
    raw = raw.assign(_label=pd.to_datetime(raw["Datetime"])).sort_values("_label", kind="stable")
    local_start = raw["_label"] - pd.Timedelta(hours=1)
    return canonical_from_local("PJME", local_start.reset_index(drop=True), raw["PJME_MW"].to_numpy())


def synthetic_load(
    zone: str = "Z1",
    start: str = "2020-01-01",
    end: str = "2021-12-31",
    tz: str = PJM_TZ,
    seed: int = 0,
) -> pd.DataFrame:
    """A canonical frame on a full hourly UTC range with a daily/weekly shape plus noise."""
    rng = np.random.default_rng(seed)
    utc = pd.date_range(
        pd.Timestamp(start, tz=tz), pd.Timestamp(end, tz=tz), freq="h", inclusive="left"
    ).tz_convert("UTC")
    local = utc.tz_convert(tz)
    hour = local.hour.to_numpy()
    dow = local.dayofweek.to_numpy()
    load = (
        1000.0
        + 200.0 * np.sin(2 * np.pi * (hour - 6) / 24)
        - 100.0 * (dow >= 5)
        + rng.normal(0, 20, len(utc))
    )
    frame = pd.DataFrame(
        {
            ZONE: pd.Series(zone, index=range(len(utc)), dtype="string"),
            INTERVAL_START_UTC: utc.astype("datetime64[ns, UTC]"),
            INTERVAL_START_LOCAL: local.tz_localize(None).astype("datetime64[ns]"),
            IS_DST: np.array([bool(ts.dst()) for ts in local], dtype=bool),
            LOAD_MW: load,
        }
    )
    return frame


@pytest.fixture(scope="session")
def pjme_load() -> pd.DataFrame:
    """The shipped PJM East file as a canonical load frame (read once per session)."""
    return read_pjme()


@pytest.fixture(scope="session")
def make_load():
    """Factory for synthetic canonical load frames."""
    return synthetic_load
