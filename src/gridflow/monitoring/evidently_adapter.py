"""The only module that imports Evidently (0.7, the `evidently.Report` API, not `legacy`)."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

# One explicit test for every column, whatever the sample size: Evidently's automatic choice
# switches from K-S to Wasserstein at 1,000 rows, which would make verdicts depend on sampling.
DEFAULT_METHOD = "wasserstein"
DEFAULT_THRESHOLD = 0.1


@dataclass(frozen=True)
class DriftResult:
    """Per-feature drift scores and which of them passed the threshold."""

    method: str
    threshold: float
    scores: dict[str, float]
    drifted: list[str]
    reference_rows: int
    current_rows: int
    html: str | None = field(default=None, repr=False)

    @property
    def share(self) -> float:
        """Fraction of features that drifted."""
        return len(self.drifted) / len(self.scores) if self.scores else 0.0


def compute_drift(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    columns: list[str],
    method: str = DEFAULT_METHOD,
    threshold: float = DEFAULT_THRESHOLD,
    with_html: bool = False,
) -> DriftResult:
    """Run one ValueDrift metric per column; a distance at or above `threshold` is drift."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from evidently import Report
        from evidently.metrics import ValueDrift

        usable = [c for c in columns if reference[c].notna().any() and current[c].notna().any()]
        report = Report([ValueDrift(column=c, method=method, threshold=threshold) for c in usable])
        snapshot = report.run(current_data=current[usable], reference_data=reference[usable])
        metrics = snapshot.dict()["metrics"]
    scores = {m["config"]["column"]: float(m["value"]) for m in metrics}
    drifted = [c for c, score in scores.items() if _is_drift(method, score, threshold)]
    html = _html(snapshot) if with_html else None
    return DriftResult(method, threshold, scores, drifted, len(reference), len(current), html)


def _is_drift(method: str, score: float, threshold: float) -> bool:
    # p-value tests drift when the score falls below the threshold; distances when they exceed it.
    p_value_tests = {"ks", "chisquare", "z", "t_test", "mannw", "anderson", "fisher_exact", "cramer_von_mises"}
    return score < threshold if method in p_value_tests else score >= threshold


def _html(snapshot) -> str:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "drift.html"
        snapshot.save_html(str(target))
        return target.read_text()
