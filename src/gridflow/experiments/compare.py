"""The arms compared on actuals (pure): absolute errors per logged row, a significance test, and a
promote / keep recommendation with a sentence naming the figures.

- Rows: the champion arm's rows of the current champion version and the challenger arm's rows of
  the current challenger version, each joined with its actual by `request_key`; rows without a
  scalar prediction or an actual are left out (and counted).
- Shadow rows (both arms scored the same input row) are compared PAIRED: the per-row differences of
  absolute error, Wilcoxon signed-rank test. Without shadow rows, A/B rows are compared UNPAIRED
  (different keys per arm): Mann-Whitney U on the absolute errors. Shadow wins when both exist:
  the paired design removes the rows' own difficulty from the comparison.
- Difference = challenger MAE - champion MAE (negative: the challenger errs less), with a 95 %
  normal-approximation interval (paired: SD of the differences; unpaired: Welch's SE).
- Promote only when the challenger's MAE is lower, p < alpha and each arm has at least `min_rows`
  rows; fewer rows is inconclusive (the experiment goes on; nothing is recorded).

A/B caveat: rows of one key are not independent (a key is always in the same arm), so the unpaired
p-value is optimistic when a few keys make most of the traffic.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from gridflow.registry.gate import GateDecision

CHAMPION, CHALLENGER = "champion", "challenger"
PROMOTE, KEEP = "promote", "keep"
METRIC = "mae"
_Z95 = 1.959963984540054


@dataclass(frozen=True)
class Arms:
    """The versions being compared: where `champion` and `challenger` point now."""

    champion_version: str | None
    challenger_version: str | None
    challenger_run_id: str | None = None

    @property
    def distinct(self) -> bool:
        """True when there is a challenger that is not the champion itself."""
        return self.challenger_version is not None and self.challenger_version != self.champion_version


@dataclass(frozen=True)
class ArmComparison:
    """The report: rows, MAE per arm, the difference with its interval, the test and the verdict."""

    model: str
    champion_version: str | None
    challenger_version: str | None
    mode: str  # shadow | ab | none: which rows were compared
    test: str
    logged_rows: int  # rows of the two versions in the log
    rows_with_actuals: int
    n_champion: int
    n_challenger: int
    mae_champion: float | None
    mae_challenger: float | None
    difference: float | None  # challenger - champion
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    alpha: float
    min_rows: int
    recommendation: str  # promote | keep
    conclusive: bool  # enough rows to decide: only a conclusive report is recorded
    reason: str
    challenger_run_id: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-safe form (no NaN) for audit rows and artifacts."""
        return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in asdict(self).items()}


def join_actuals(rows: pd.DataFrame, actuals: pd.Series | None) -> pd.DataFrame:
    """The log rows with `actual` and `abs_error`, keeping only rows with a scalar prediction and an actual."""
    out = rows.copy()
    if actuals is None or out.empty:
        return out.assign(actual=np.nan, abs_error=np.nan).iloc[0:0]
    lookup = pd.Series(actuals.to_numpy(dtype="float64"), index=actuals.index.astype(str))
    out["actual"] = out["request_key"].map(lookup).astype("float64")
    out["abs_error"] = (out["prediction"].astype("float64") - out["actual"]).abs()
    return out[out["abs_error"].notna()].reset_index(drop=True)


def of_versions(rows: pd.DataFrame, arms: Arms) -> pd.DataFrame:
    """Rows answered by the champion arm's current version or the challenger arm's current version."""
    champion = (rows["arm"] == CHAMPION) & (rows["model_version"] == str(arms.champion_version))
    challenger = (rows["arm"] == CHALLENGER) & (rows["model_version"] == str(arms.challenger_version))
    return rows[champion | challenger]


def compare_arms(model: str, arms: Arms, rows: pd.DataFrame, actuals: pd.Series | None, *, alpha: float = 0.05,
                 min_rows: int = 30) -> ArmComparison:
    """The comparison of the two arms: log `rows` (`gridflow.warehouse.predictions.REPORT_COLUMNS`) of
    the current versions, joined with `actuals` by request key (None: the use case has none)."""
    rows = of_versions(rows, arms)
    joined = join_actuals(rows, actuals)
    has_actuals = actuals is not None
    base = {"model": model, "champion_version": arms.champion_version, "challenger_version": arms.challenger_version,
            "logged_rows": len(rows), "rows_with_actuals": len(joined), "alpha": alpha, "min_rows": min_rows,
            "challenger_run_id": arms.challenger_run_id}

    def _inconclusive(reason: str, **figures: Any) -> ArmComparison:
        empty = {"mode": "none", "test": "none", "n_champion": 0, "n_challenger": 0, "mae_champion": None,
                 "mae_challenger": None, "difference": None, "ci_low": None, "ci_high": None, "p_value": None}
        return ArmComparison(**base, **(empty | figures), recommendation=KEEP, conclusive=False, reason=reason)

    if not arms.distinct:
        return _inconclusive(f"no challenger distinct from the champion (v{arms.champion_version}); nothing to compare")
    if not has_actuals:
        return _inconclusive(f"{model} has no actuals to compare its arms on; nothing to decide")
    shadow = joined[joined["mode"] == "shadow"]
    figures = _paired(shadow) if not shadow.empty else _unpaired(joined[joined["mode"] == "ab"])
    n = min(figures["n_champion"], figures["n_challenger"])
    if n < min_rows:
        return _inconclusive(
            f"only {figures['n_challenger']} challenger and {figures['n_champion']} champion rows with actuals "
            f"({figures['mode']}), {min_rows} needed per arm; the experiment goes on", **figures)
    return ArmComparison(**base, **figures, **_verdict(arms, figures, alpha))


def to_gate_decision(comparison: ArmComparison) -> GateDecision:
    """The recommendation as the gate's decision, so it is applied and audited like a retrain's."""
    return GateDecision(
        promote=comparison.conclusive and comparison.recommendation == PROMOTE,
        metric=METRIC,
        challenger=_number(comparison.mae_challenger),
        champion=comparison.mae_champion,
        baseline=None,
        challenger_version=comparison.challenger_version,
        champion_version=comparison.champion_version,
        reason=f"A/B report ({comparison.mode}): {comparison.reason}",
    )


def _paired(rows: pd.DataFrame) -> dict[str, Any]:
    wide = rows.pivot_table(index=["request_id", "row_index"], columns="arm", values="abs_error", aggfunc="first")
    wide = wide.reindex(columns=[CHAMPION, CHALLENGER]).dropna()
    champion, challenger = wide[CHAMPION].to_numpy(), wide[CHALLENGER].to_numpy()
    diff = challenger - champion
    n = len(diff)
    se = float(np.std(diff, ddof=1)) / math.sqrt(n) if n > 1 else math.nan
    # All-equal errors (the same model twice) carry no evidence either way; scipy would warn.
    p = 1.0 if n == 0 or not np.any(diff) else float(stats.wilcoxon(diff, zero_method="wilcox").pvalue)
    return _figures("shadow", "Wilcoxon signed-rank (paired)", champion, challenger, float(np.mean(diff)) if n else
                    math.nan, se, p)


def _unpaired(rows: pd.DataFrame) -> dict[str, Any]:
    champion = rows.loc[rows["arm"] == CHAMPION, "abs_error"].to_numpy(dtype="float64")
    challenger = rows.loc[rows["arm"] == CHALLENGER, "abs_error"].to_numpy(dtype="float64")
    if len(champion) == 0 or len(challenger) == 0:
        return _figures("ab", "Mann-Whitney U (unpaired)", champion, challenger, math.nan, math.nan, math.nan)
    se = math.sqrt(_var(champion) / len(champion) + _var(challenger) / len(challenger))
    same = np.all(champion == champion[0]) and np.all(challenger == champion[0])
    p = 1.0 if same else float(stats.mannwhitneyu(challenger, champion, alternative="two-sided").pvalue)
    return _figures("ab", "Mann-Whitney U (unpaired)", champion, challenger,
                    float(challenger.mean() - champion.mean()), se, p)


def _figures(mode: str, test: str, champion: np.ndarray, challenger: np.ndarray, difference: float, se: float,
             p: float) -> dict[str, Any]:
    ci = (difference - _Z95 * se, difference + _Z95 * se) if math.isfinite(se) else (None, None)
    return {"mode": mode, "test": test, "n_champion": len(champion), "n_challenger": len(challenger),
            "mae_champion": float(champion.mean()) if len(champion) else None,
            "mae_challenger": float(challenger.mean()) if len(challenger) else None,
            "difference": difference if math.isfinite(difference) else None,
            "ci_low": ci[0], "ci_high": ci[1], "p_value": p if math.isfinite(p) else None}


def _verdict(arms: Arms, f: dict[str, Any], alpha: float) -> dict[str, Any]:
    rows = f"{f['n_challenger']} paired rows" if f["mode"] == "shadow" else \
        f"{f['n_challenger']} challenger / {f['n_champion']} champion rows"
    ci = "" if f["ci_low"] is None else f" (95% CI {f['ci_low']:+.4g} to {f['ci_high']:+.4g})"
    p = f["p_value"]
    figures = (f"challenger v{arms.challenger_version} MAE {f['mae_challenger']:.4g} vs champion "
               f"v{arms.champion_version} {f['mae_champion']:.4g} on {rows}: {f['difference']:+.4g}{ci}, "
               f"{f['test'].split(' (')[0]} p={_p(p)}")
    if f["difference"] < 0 and p is not None and p < alpha:
        return {"recommendation": PROMOTE, "conclusive": True, "reason": f"{figures} < {alpha:g}"}
    why = "not better" if f["difference"] >= 0 else f"not significant at {alpha:g}"
    return {"recommendation": KEEP, "conclusive": True, "reason": f"{figures}: {why}; champion stays"}


def _var(values: np.ndarray) -> float:
    return float(np.var(values, ddof=1)) if len(values) > 1 else 0.0


def _number(value: float | None) -> float:
    return math.nan if value is None else float(value)


def _p(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3g}"
