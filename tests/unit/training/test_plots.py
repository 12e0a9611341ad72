"""The retrain's holdout figures render to PNG from a plain frame."""

from __future__ import annotations

import numpy as np
import pandas as pd

from gridflow.training import plots


def test_figures_render_to_png(tmp_path):
    local = pd.date_range("2017-07-01", periods=40 * 24, freq="h")
    p50 = 30000 + 5000 * np.sin(np.arange(len(local)) / 24 * 2 * np.pi)
    frame = pd.DataFrame({"interval_start_local": local, "target": p50 * 1.02, "p10": p50 * 0.95,
                          "p50": p50, "p90": p50 * 1.05})
    for name, fig in {"band": plots.forecast_vs_actual(frame, "PJME"), "hours": plots.error_by_hour(frame, "PJME")}.items():
        path = tmp_path / f"{name}.png"
        fig.savefig(path)
        plots.close(fig)
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 5000
