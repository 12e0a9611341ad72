"""The retrain's holdout figures: which weeks are shown, and what each figure draws."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gridflow.training import plots


def _holdout(days: int = 40, start: str = "2017-07-01") -> pd.DataFrame:
    local = pd.date_range(start, periods=days * 24, freq="h")
    p50 = 30000 + 5000 * np.sin(np.arange(len(local)) / 24 * 2 * np.pi)
    return pd.DataFrame({"interval_start_local": local, "target": p50 * 1.02, "p10": p50 * 0.95,
                         "p50": p50, "p90": p50 * 1.05})


def test_figures_render_to_png(tmp_path):
    frame = _holdout()
    figures = {"band": plots.forecast_vs_actual(frame, "PJME"), "hours": plots.error_by_hour(frame, "PJME"),
               "months": plots.error_by_month(frame, "PJME"),
               "importance": plots.feature_importance(pd.Series({"lag_1d": 3.0, "hour": 1.0}), "PJME")}
    for name, fig in figures.items():
        path = tmp_path / f"{name}.png"
        fig.savefig(path)
        plots.close(fig)
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 5000


def test_holdout_weeks_pick_the_typical_peak_and_worst_week():
    frame = _holdout(days=5 * 7, start="2017-07-03")  # five whole weeks from a Monday
    week = (frame["interval_start_local"] - pd.Timestamp("2017-07-03")).dt.days // 7
    frame.loc[week == 1, "target"] *= 1.3  # the worst forecast
    frame.loc[frame.index[24 * 7 * 3 + 15], "target"] = 90_000.0  # one record hour in week 3
    weeks = plots.holdout_weeks(frame)
    assert weeks == {"typical": pd.Timestamp("2017-07-03"), "peak": pd.Timestamp("2017-07-24"),
                     "worst": pd.Timestamp("2017-07-10")}


def test_a_week_that_is_peak_and_worst_is_shown_once_under_both_names():
    frame = _holdout(days=3 * 7, start="2017-07-03")
    frame.loc[frame.index[24 * 7 + 10 : 24 * 14], "target"] *= 1.4
    assert plots.holdout_weeks(frame) == {"typical": pd.Timestamp("2017-07-03"),
                                          "peak, worst": pd.Timestamp("2017-07-10")}


def test_weeks_with_too_few_hours_do_not_count():
    frame = _holdout(days=5, start="2017-07-03")
    assert plots.holdout_weeks(frame) == {}
    fig = plots.forecast_vs_actual(frame, "PJME")  # falls back to the whole (short) holdout
    assert [ax.get_title().split(":")[0] for ax in fig.axes] == ["whole holdout week"]


def test_forecast_vs_actual_draws_one_panel_per_week_with_band_p50_and_actual():
    fig = plots.forecast_vs_actual(_holdout(days=6 * 7, start="2017-07-03"), "load_forecast PJME")
    assert len(fig.axes) in (2, 3)
    for ax in fig.axes:
        assert [line.get_label() for line in ax.get_lines()] == ["P50 forecast", "actual"]
        assert len(ax.collections) == 1  # the P10-P90 band
        assert "MAPE" in ax.get_title() and ax.get_ylabel() == "MW"
        (x,) = {len(line.get_xdata()) for line in ax.get_lines()}
        assert 167 <= x <= 169
    assert fig.texts[0].get_text() == "load_forecast PJME: holdout weeks, local time"


def test_error_by_month_has_twelve_bars_and_gaps_for_missing_months():
    frame = _holdout(days=61, start="2017-07-01")  # July and August
    frame["target"] = frame["p50"] * np.where(frame["interval_start_local"].dt.month == 7, 1.1, 1.05)
    by_month = plots.mape_by_month(frame)
    assert by_month[7] == pytest.approx(100 / 11) and by_month[8] == pytest.approx(100 * 0.05 / 1.05)
    assert by_month.drop([7, 8]).isna().all()
    (ax,) = plots.error_by_month(frame, "PJME").axes
    assert len(ax.patches) == 12 and ax.get_ylabel() == "MAPE %"


def test_feature_importance_shows_the_largest_shares_on_top():
    importance = pd.Series({f"f{i}": float(i) for i in range(30)})
    (ax,) = plots.feature_importance(importance, "x", top=5).axes
    assert [t.get_text() for t in ax.get_yticklabels()] == ["f25", "f26", "f27", "f28", "f29"]  # top is last
    widths = [p.get_width() for p in ax.patches]
    assert widths[-1] == pytest.approx(29 / importance.sum() * 100)
    assert "top 5 of 30" in ax.get_title()
