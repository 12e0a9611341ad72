"""Issue one zone's day-ahead forecast: the champion, its inputs as known at issue time, P10/P50/P90
per hour, and the rows stored in `load_forecast_issued` (first write wins).

When an input is missing at issue time the issue fails with the reason, unless the use case names a
`fallback_model`: then that model's champion is issued instead and the result says so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.engine import Connection, Engine

from gridflow import frames as f
from gridflow.errors import GridflowError, MissingInputError, RegistryError
from gridflow.forecast.issue_inputs import IssueInputs
from gridflow.registry import mlflow_registry as registry
from gridflow.runtime import log, mlflow_ready
from gridflow.warehouse.forecast_issued import ISSUED_COLUMNS, write_issued

QUANTILES = ("p10", "p50", "p90")


class IssueFailed(GridflowError):
    """Some zones could not be issued; the others were. Names each failed zone with its reason."""

    def __init__(self, target_date: str, failed: dict[str, str], issued: list[str]) -> None:
        self.failed = dict(failed)
        reasons = "; ".join(f"{zone}: {reason}" for zone, reason in failed.items())
        done = f" ({len(issued)} issued: {', '.join(issued)})" if issued else ""
        super().__init__(f"{len(failed)} zone(s) not issued for {target_date}{done}: {reasons}")


@dataclass(frozen=True)
class IssueRunResult:
    """What one run of the issue flow issued, per zone."""

    target_date: str
    issued: dict[str, str]  # zone -> describe() line
    failed: dict[str, str] = field(default_factory=dict)  # zone -> reason

    def describe(self) -> str:
        """The run in a few lines."""
        lines = [f"load forecast for {self.target_date}:"] + [f"  {line}" for line in self.issued.values()]
        return "\n".join(lines + [f"  {zone}: FAILED - {reason}" for zone, reason in self.failed.items()])


def conclude(target_date: date | str, issued: list[IssuedForecast], failed: dict[str, str]) -> IssueRunResult:
    """The run's result; raises IssueFailed naming every failed zone when there is one."""
    if failed:
        raise IssueFailed(str(target_date), failed, [i.zone for i in issued])
    return IssueRunResult(str(target_date), {i.zone: i.describe() for i in issued})


@dataclass(frozen=True)
class LoadedModel:
    """A registered version loaded in its own flavour, with the input columns of its signature."""

    name: str
    version: str
    model: Any
    columns: list[str]


@dataclass(frozen=True)
class IssuedForecast:
    """One zone's issued forecast: its rows (ISSUED_COLUMNS without created_at) and where they came from."""

    zone: str
    target_date: str  # local date, ISO
    model_name: str
    model_version: str
    issued_at_utc: pd.Timestamp
    rows: pd.DataFrame
    weather_kind: str
    weather_site: str | None = None
    weather_vintage_utc: pd.Timestamp | None = None
    fallback_reason: str | None = None  # set when the fallback model was issued, with the reason
    notes: list[str] = field(default_factory=list)
    written: int = 0  # rows inserted; 0 when the same issue was stored before

    @property
    def hours(self) -> int:
        """Target hours of the local day (23, 24 or 25)."""
        return len(self.rows)

    def describe(self) -> str:
        """One line for logs and the CLI."""
        stored = f"{self.written} rows stored" if self.written else "already stored (first write wins)"
        weather = self.weather_kind if self.weather_site is None else \
            f"{self.weather_kind} {self.weather_site} @ {self.weather_vintage_utc}"
        text = (f"{self.zone} {self.target_date}: {self.hours} h from {self.model_name} v{self.model_version}, "
                f"issued at {self.issued_at_utc:%Y-%m-%d %H:%M} UTC, weather {weather}; {stored}")
        return text + (f"; FALLBACK: {self.fallback_reason}" if self.fallback_reason else "")


def input_columns(name: str, version: str, native: Any) -> list[str]:
    """The model's input columns: the fitted estimator's own names, else its MLflow signature."""
    for attribute in ("feature_names_in_", "feature_names"):
        names = getattr(native, attribute, None)
        if names is not None and len(names):
            return [str(n) for n in names]
    return registry.model_input_columns(registry.load_model(name, version))


@lru_cache(maxsize=8)
def _load_version(tracking_uri: str, name: str, version: str) -> LoadedModel:
    # A serving process issues every morning with the same champion: load each version once. The
    # store is part of the key: version 1 of another registry is another model.
    native = registry.load_native_model(name, version)
    return LoadedModel(name, version, native, input_columns(name, version, native))


def load_champion(model_name: str) -> LoadedModel:
    """The version the `champion` alias of `model_name` points at, loaded; RegistryError if none."""
    mlflow_ready()
    info = registry.alias_version(model_name, registry.CHAMPION)
    if info is None:
        raise RegistryError(f"{model_name} has no champion to issue: train and promote one first "
                            f"(`gridflow retrain {model_name}`)")
    return _load_version(registry.tracking_uri(), model_name, str(info.version))


def predict_quantiles(model: Any, X: pd.DataFrame) -> pd.DataFrame:
    """P10/P50/P90 per row from the model (gridflow.forecast.intervals), imported on first use."""
    from gridflow.forecast.intervals import predict_quantiles as predict

    return predict(model, X)


def forecast_rows(inputs: IssueInputs, quantiles: pd.DataFrame, model: LoadedModel,
                  flow_run_id: str | None = None) -> pd.DataFrame:
    """The table rows of one issue (ISSUED_COLUMNS without created_at); ValueError on a bad interval."""
    values = quantiles.loc[:, list(QUANTILES)].to_numpy(dtype="float64")
    if len(values) != len(inputs.frame):
        raise ValueError(f"{len(values)} quantile rows for {len(inputs.frame)} target hours")
    if not np.isfinite(values).all():
        raise ValueError(f"{inputs.zone} {inputs.target_date}: the model returned a missing or infinite quantile")
    if (np.diff(values, axis=1) < 0).any():
        raise ValueError(f"{inputs.zone} {inputs.target_date}: quantiles out of order (p10 <= p50 <= p90 broken)")
    frame = inputs.frame
    vintage = None if inputs.weather_vintage_utc is None else pd.Timestamp(inputs.weather_vintage_utc)
    rows = pd.DataFrame({
        "zone": inputs.zone,
        "target_start_utc": pd.DatetimeIndex(frame[f.INTERVAL_START_UTC]).tz_convert("UTC"),
        "issued_at_utc": pd.Timestamp(inputs.issue_time_utc).tz_convert("UTC"),
        "model_version": str(model.version),
        "model_name": model.name,
        "target_start_local": pd.DatetimeIndex(frame[f.INTERVAL_START_LOCAL]),
        "is_dst": frame[f.IS_DST].to_numpy(dtype=bool),
        "p10_mw": values[:, 0], "p50_mw": values[:, 1], "p90_mw": values[:, 2],
        "weather_kind": inputs.weather_kind,
        "weather_site": inputs.weather_site,
        "weather_vintage_utc": vintage,
        "flow_run_id": flow_run_id,
    })
    return rows[[c for c in ISSUED_COLUMNS if c != "created_at"]]


def issue_zone(
    conn: Connection,
    use_case: Any,
    zone: str,
    target_date: date,
    champion: LoadedModel,
    fallback: Callable[[], tuple[Any, LoadedModel]] | None = None,
    flow_run_id: str | None = None,
) -> IssuedForecast:
    """The forecast of `zone` for the local day `target_date`, not stored yet.

    `fallback()` returns (use case, loaded model) of the fallback model; without it a missing input
    raises MissingInputError naming the zone, the day and the reason.
    """
    reason = None
    try:
        inputs = use_case.issue_inputs(conn, zone, target_date, champion.columns)
        model = champion
    except MissingInputError as exc:
        if fallback is None:
            raise MissingInputError(f"cannot issue {zone} for {target_date}: {exc}") from exc
        fallback_case, model = fallback()
        reason = f"{champion.name} v{champion.version} could not be issued ({exc}); issued " \
                 f"{model.name} v{model.version} instead"
        log().warning("%s %s: %s", zone, target_date, reason)
        inputs = fallback_case.issue_inputs(conn, zone, target_date, model.columns)
    quantiles = predict_quantiles(model.model, inputs.frame[model.columns])
    rows = forecast_rows(inputs, quantiles, model, flow_run_id)
    return IssuedForecast(
        zone=zone, target_date=str(target_date), model_name=model.name, model_version=str(model.version),
        issued_at_utc=pd.Timestamp(inputs.issue_time_utc).tz_convert("UTC"), rows=rows,
        weather_kind=inputs.weather_kind, weather_site=inputs.weather_site,
        weather_vintage_utc=inputs.weather_vintage_utc, fallback_reason=reason, notes=list(inputs.notes),
    )


def fallback_loader(use_case: Any) -> Callable[[], tuple[Any, LoadedModel]] | None:
    """How to load the configured fallback model (its use case if registered, else this one), or None."""
    name = getattr(use_case.config, "fallback_model", None)
    if not name:
        return None

    def load() -> tuple[Any, LoadedModel]:
        from gridflow.usecases.catalog import USE_CASES, get_use_case

        return (get_use_case(name) if name in USE_CASES else use_case), load_champion(name)

    return load


def store(engine: Engine, issued: IssuedForecast) -> IssuedForecast:
    """Write the rows (first write wins) and return the forecast with the count inserted."""
    with engine.begin() as conn:
        written = write_issued(conn, issued.rows.assign(created_at=datetime.now(UTC)))
    return replace(issued, written=written)


def issue_and_store(engine: Engine, use_case: Any, zone: str, target_date: date,
                    flow_run_id: str | None = None) -> IssuedForecast:
    """Issue `zone` for `target_date` with the use case's champion and store it; logs what was issued."""
    champion = load_champion(use_case.name)
    with engine.connect() as conn:
        issued = issue_zone(conn, use_case, zone, target_date, champion, fallback_loader(use_case), flow_run_id)
    issued = store(engine, issued)
    log().info("%s", issued.describe())
    return issued
