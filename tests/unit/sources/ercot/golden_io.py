"""Golden files of parsed ERCOT frames: one stable text form so diffs are readable."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "ercot"
GOLDEN = FIXTURES / "golden"


def as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Every column as text: UTC as ISO with Z, local wall clock, floats with repr precision."""
    out = pd.DataFrame(index=frame.index)
    for name in frame.columns:
        column = frame[name]
        if name == "interval_start_utc":
            out[name] = column.dt.strftime("%Y-%m-%dT%H:%M:%SZ")
        elif name == "interval_start_local":
            out[name] = column.dt.strftime("%Y-%m-%d %H:%M")
        elif column.dtype.kind == "f":
            out[name] = [repr(float(v)) for v in column]
        else:
            out[name] = column.astype(str)
    return out.reset_index(drop=True)


def read_golden(name: str) -> pd.DataFrame:
    """A golden file as text columns."""
    return pd.read_csv(GOLDEN / name, dtype=str, keep_default_na=False)
