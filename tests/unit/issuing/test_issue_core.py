"""Issuing one zone: inputs as known at issue time -> P10/P50/P90 rows; a missing input fails with
its reason, or issues the configured fallback model and says so; the run fails naming zones."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
import pytest

from gridflow.errors import MissingInputError
from gridflow.forecast.issue_inputs import IssueInputs
from gridflow.issuing import issue
from gridflow.issuing.issue import IssueFailed, LoadedModel, conclude, forecast_rows, issue_zone
from gridflow.issuing.schedule import issue_time_utc, local_day_hours
from gridflow.warehouse.forecast_issued import ISSUED_COLUMNS

NY = "America/New_York"
COLUMNS = ["hour", "lag_2d"]


class HourModel:
    """P50 = 20,000 + 500 * hour; the band is +-5 %."""

    def predict(self, X):
        return 20_000.0 + 500.0 * X["hour"].to_numpy(dtype=float)

    def predict_quantiles(self, X):
        p50 = self.predict(X)
        return pd.DataFrame({"p10": p50 * 0.95, "p50": p50, "p90": p50 * 1.05}, index=X.index)


class PointModel:
    """An older champion without intervals: one prediction per row."""

    def predict(self, X):
        return np.full(len(X), 25_000.0)


@dataclass
class Config:
    fallback_model: str | None = None


class FakeUseCase:
    """Inputs of a day from the schedule; `missing` makes every call without weather columns fail."""

    name = "load_forecast"

    def __init__(self, missing: str | None = None, fallback: str | None = None) -> None:
        self.missing = missing
        self.config = Config(fallback)
        self.calls: list[list[str]] = []

    def issue_inputs(self, conn, zone, target_date, feature_columns=None):
        self.calls.append(list(feature_columns))
        if self.missing and "tmax_f" in feature_columns:
            raise MissingInputError(self.missing)
        hours = local_day_hours(target_date, NY)
        issued_at = issue_time_utc(target_date, NY, 9)
        frame = hours.assign(zone=zone, issue_time_utc=issued_at,
                             hour=hours["interval_start_local"].dt.hour.astype(float), lag_2d=30_000.0, tmax_f=70.0)
        weather = "none" if "tmax_f" not in feature_columns else "forecast"
        return IssueInputs(zone, target_date.isoformat(), issued_at, frame, weather_kind=weather,
                           weather_site=None if weather == "none" else "BWI",
                           weather_vintage_utc=None if weather == "none" else issued_at - pd.Timedelta(hours=3),
                           notes=[] if weather == "forecast" else ["PJME: no weather site configured"])


CHAMPION = LoadedModel("load_forecast", "7", HourModel(), [*COLUMNS, "tmax_f"])
FALLBACK = LoadedModel("load_forecast_noweather", "2", PointModel(), COLUMNS)


def test_issue_zone_builds_ordered_rows_for_the_fall_back_day():
    issued = issue_zone(None, FakeUseCase(), "PJME", date(2025, 11, 2), CHAMPION, flow_run_id="run-1")
    rows = issued.rows
    assert issued.hours == 25
    assert list(rows.columns) == [c for c in ISSUED_COLUMNS if c != "created_at"]
    assert (rows["p10_mw"] <= rows["p50_mw"]).all() and (rows["p50_mw"] <= rows["p90_mw"]).all()
    assert (rows["p10_mw"] < rows["p90_mw"]).all()
    assert rows["issued_at_utc"].eq(pd.Timestamp("2025-11-01 13:00", tz="UTC")).all()
    assert rows["model_version"].eq("7").all() and rows["flow_run_id"].eq("run-1").all()
    assert rows["weather_kind"].eq("forecast").all() and rows["weather_site"].eq("BWI").all()
    assert issued.fallback_reason is None
    assert "PJME 2025-11-02: 25 h from load_forecast v7" in issued.describe()


def test_missing_input_fails_with_the_reason_when_no_fallback_is_configured():
    case = FakeUseCase(missing="no weather vintage for BWI with update_time <= 2025-01-14 14:00 UTC")
    with pytest.raises(MissingInputError, match=r"cannot issue PJME for 2025-01-15: no weather vintage for BWI"):
        issue_zone(None, case, "PJME", date(2025, 1, 15), CHAMPION, fallback=issue.fallback_loader(case))


def test_missing_input_issues_the_fallback_champion_and_says_so():
    case = FakeUseCase(missing="no weather vintage for BWI", fallback="load_forecast_noweather")
    issued = issue_zone(None, case, "PJME", date(2025, 1, 15), CHAMPION, fallback=lambda: (case, FALLBACK))
    assert issued.model_name == "load_forecast_noweather" and issued.model_version == "2"
    assert "no weather vintage for BWI" in issued.fallback_reason
    assert "issued load_forecast_noweather v2 instead" in issued.fallback_reason
    assert "FALLBACK" in issued.describe()
    assert case.calls == [[*COLUMNS, "tmax_f"], COLUMNS]  # each model asked with its own input columns
    rows = issued.rows
    assert rows["model_name"].eq("load_forecast_noweather").all() and rows["weather_kind"].eq("none").all()
    # No interval on the old model: a zero-width band, never an invented one.
    assert (rows["p10_mw"] == rows["p90_mw"]).all()


def test_forecast_rows_refuse_crossed_or_missing_quantiles():
    inputs = FakeUseCase().issue_inputs(None, "PJME", date(2025, 1, 15), COLUMNS)
    good = pd.DataFrame({"p10": np.full(24, 1.0), "p50": np.full(24, 2.0), "p90": np.full(24, 3.0)})
    assert len(forecast_rows(inputs, good, FALLBACK)) == 24
    with pytest.raises(ValueError, match="out of order"):
        forecast_rows(inputs, good.assign(p10=5.0), FALLBACK)
    with pytest.raises(ValueError, match="missing or infinite"):
        forecast_rows(inputs, good.assign(p50=np.nan), FALLBACK)
    with pytest.raises(ValueError, match="23 quantile rows for 24"):
        forecast_rows(inputs, good.iloc[:23], FALLBACK)


def test_conclude_names_every_failed_zone():
    ok = issue_zone(None, FakeUseCase(), "PJME", date(2025, 1, 15), CHAMPION)
    assert conclude(date(2025, 1, 15), [ok], {}).issued["PJME"] == ok.describe()
    with pytest.raises(IssueFailed, match=r"1 zone\(s\) not issued for 2025-01-15 \(1 issued: PJME\): "
                                          r"AE: MissingInputError: no load since"):
        conclude(date(2025, 1, 15), [ok], {"AE": "MissingInputError: no load since 2025-01-13 23:00 UTC"})
