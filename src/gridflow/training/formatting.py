"""How the evaluation report and the model card print a metric."""

from __future__ import annotations

from typing import Any

import numpy as np


def format_number(value: Any) -> str:
    """A metric as the reports print it: 4 significant digits, thousands separated, `–` for none."""
    if value is None:
        return "–"
    if isinstance(value, float | np.floating):
        return f"{value:,.4g}" if abs(value) < 1000 else f"{value:,.0f}"
    return str(value)
