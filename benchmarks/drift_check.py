"""The sampled drift check against the unsampled Evidently computation, on 1M rows x 20 features.

Both sides run the same adapter (`compute_drift`, one Wasserstein ValueDrift per column); the
measured side first draws stratified samples (local hour x weekday/weekend, <= 10,000 rows per
side) as the monitor does. Goal: the sampled check under 5 s, with the same verdict.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd

FEATURES = 20
SAMPLE_ROWS = 10_000


def synthetic_window(rows: int, seed: int, shifted: int = 0) -> pd.DataFrame:
    """`rows` hourly rows of FEATURES daily-shaped features; the first `shifted` are moved by 0.5 sd."""
    rng = np.random.default_rng(seed)
    local = pd.date_range("2020-01-01", periods=rows, freq="h")
    shape = np.sin(local.hour.to_numpy() / 24 * 2 * np.pi)
    weekend = local.dayofweek.to_numpy() >= 5
    frame = pd.DataFrame({
        f"f{i:02d}": rng.normal(0, 1, rows) + shape + 0.3 * weekend + (0.5 if i < shifted else 0.0)
        for i in range(FEATURES)
    })
    frame["interval_start_local"] = local
    return frame


def run(workdir: Path, rows: int = 1_000_000) -> list[dict]:
    """Time the sampled check and the unsampled one on `rows` rows per side; one table row each
    scenario (ratio = sampled time / unsampled time)."""
    from gridflow.monitoring.evidently_adapter import compute_drift
    from gridflow.monitoring.reference import sample_by_strata

    columns = [f"f{i:02d}" for i in range(FEATURES)]
    reference = synthetic_window(rows, seed=0)
    compute_drift(reference.head(1_000), reference.head(1_000), columns)  # imports out of the timing
    out = []
    for shifted in (0, 12):
        current = synthetic_window(rows, seed=1, shifted=shifted)
        started = time.perf_counter()
        sampled = compute_drift(sample_by_strata(reference, SAMPLE_ROWS, seed=0),
                                sample_by_strata(current, SAMPLE_ROWS, seed=1), columns)
        sampled_s = time.perf_counter() - started
        started = time.perf_counter()
        full = compute_drift(reference, current, columns)
        full_s = time.perf_counter() - started
        agree = sampled.drifted == full.drifted
        out.append({
            "benchmark": f"drift check, {rows:,} rows x {FEATURES} features per side, {shifted} drifted "
                         f"(sampled to {SAMPLE_ROWS:,}; verdict {'agrees' if agree else 'DIFFERS'}: "
                         f"share {sampled.share:.0%} vs {full.share:.0%})",
            "baseline": "unsampled Evidently computation",
            "baseline_s": full_s,
            "measured_s": sampled_s,
            "ratio": sampled_s / full_s,
            "agree": agree,
        })
    return out


if __name__ == "__main__":
    import sys
    import tempfile

    from benchmarks.__main__ import print_table

    size = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    with tempfile.TemporaryDirectory() as tmp:
        print_table(run(Path(tmp), size))
