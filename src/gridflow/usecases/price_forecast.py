"""Use case `price_forecast`: the day-ahead hourly price of each configured node (ERCOT hubs by default),
P10/P50/P90 from one quantile booster over every node (gridflow.prices).

The forecast of delivery day D is issued at `issue_hour_local:issue_minute_local` on D-1, before the
day-ahead market closes (ERCOT 10:00 Central, PJM 10:30 Eastern): its inputs are the calendar and
the day-ahead prices of D-1 and earlier (D-1's were published the afternoon of D-2), of the node
and of the other configured nodes. No ERCOT load or wind forecast is used: none is ingested.

The gate metric is the MAE in $/MWh against the same hour of D-1 (the floor); RMSE and the MAE on the
holdout's top 5 % hours sit beside it, and the same hour of D-7, the band's coverage and the pinball
loss are recorded with each version. The holdout is the last `holdout_days` delivery days; the
backtest forecasts the `backtest_folds` calendar months before it, each trained on everything
earlier (gridflow.prices.rolling_origin). `exclude_periods` leaves date ranges out of training:
by default Winter Storm Uri's week, which made the 2022 forecasts worse than the naive one.

One configuration is one market: PJM is `GRIDFLOW_PRICE_FORECAST__MARKET=PJM_DA`,
`__NODES='["1"]'`, `__MARKET_TZ=America/New_York`, `__ISSUE_MINUTE_LOCAL=30` (see PriceForecastConfig).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.engine import Connection

from gridflow.errors import InsufficientDataError
from gridflow.forecast.intervals import P10, P50, P90, predict_quantiles
from gridflow.prices import baselines
from gridflow.prices import issue_features as pf
from gridflow.prices.metrics import band_report, price_report
from gridflow.prices.quantile_model import default_params
from gridflow.prices.rolling_origin import excluded, fit_price_model, forecast_month
from gridflow.usecases.base import Fitted, UseCase
from gridflow.usecases.configs import PriceForecastConfig

SUITES = {"ERCOT_DAM": "ercot_dam_spp", "PJM_DA": "pjm_da_lmp"}
INGEST_HINT = {"ERCOT_DAM": "`gridflow ingest ercot --report dam_spp`",
               "PJM_DA": "`gridflow ingest pjm --feed da_hrl_lmps`"}


class PriceForecast(UseCase):
    """Day-ahead hourly price per node, judged against the same hour of the day before."""

    name = "price_forecast"
    dataset = "market_price"
    suite = SUITES["ERCOT_DAM"]
    gate_metric = "mae"
    config_type = PriceForecastConfig
    config: PriceForecastConfig
    baseline_label = "same hour D-1"
    rows_label = "hourly node prices"
    headline_metrics = ("mae", "rmse", "top5_mae")
    known_limits = (
        "Day-ahead hourly prices only, issued before the DAM closes on D-1 from published day-ahead "
        "prices of D-1 and earlier and the calendar: no load, wind, solar, outage or gas-price input, so a "
        "day whose price is set by tomorrow's load or weather is forecast as the recent days looked.",
        "The median (P50) is the point forecast: it under-forecasts scarcity spikes by design; the "
        "holdout's top-5 % MAE and the P10-P90 coverage above say by how much.",
        "Trees do not extrapolate: a price regime beyond the training range (a new offer cap, a gas "
        "price shock) is forecast at the highest level seen.",
        "Scored on one recent holdout; the monthly rolling-origin backtest shows how stable that figure is.",
        "The P10-P90 band is too narrow: it held 62-77 % of actual prices (not 80 %) in the monthly rolling-"
        "origin backtests (ERCOT hubs 2021-2025, PJM-RTO; scripts/evaluate_price_forecast.py); read it as "
        "roughly a P15-P85 band unless `conformal_days` widened it (see the run's band_margin_asinh).",
        "Winter Storm Uri's week (2021-02-13..20, prices at the $9,000 cap) is left out of training by "
        "default (`exclude_periods`): the model has not learnt a multi-day cap event and will not forecast one.",
        "One booster for every configured node and one market per configuration; nodes outside the list "
        "are not forecast, and a node's congestion regime change (a new line) shows as drift on the spread.",
        "Price drift is judged at a normed Wasserstein distance of 1.0 (prices move by whole standard deviations "
        "between fortnights): the main retrain signal is the window's MAE against the champion's backtest MAE.",
    )

    def __init__(self, config: PriceForecastConfig | None = None) -> None:
        super().__init__(config)
        # The suite is the one of the market's own ingestion, so training checks what ingest checked.
        self.suite = SUITES[self.config.market]

    @property
    def nodes(self) -> list[str]:
        """The configured nodes, in order (their one-hot columns follow it)."""
        return [str(n) for n in self.config.nodes]

    def load_dataset(self, conn: Connection) -> pd.DataFrame:
        """The configured market's stored prices of the configured nodes, from `train_start` on."""
        from gridflow.warehouse.markets import read_market_prices

        start = None
        if self.config.train_start is not None:
            start = pd.Timestamp(self.config.train_start, tz=self.config.market_tz).tz_convert("UTC")
        return read_market_prices(conn, self.config.market, self.nodes, start_utc=start)

    def validation_view(self, raw: pd.DataFrame) -> pd.DataFrame:
        """The price rows as the market's ingestion suite checks them. ERCOT's adds its step columns per
        node and delivery day (the suite checks a day at a time; the warehouse has years with gaps
        between them, e.g. no 2023-2024 in the shipped files)."""
        if self.config.market != "ERCOT_DAM":
            return raw.reset_index(drop=True)
        from gridflow.sources.ercot.views import price_view

        view = price_view(raw)
        day = pd.DatetimeIndex(view["interval_start_local"]).normalize()
        previous_day = pd.Series(day, index=view.index).groupby(view["node"], sort=False).shift()
        view.loc[(previous_day != day).to_numpy(), "hours_since_previous"] = float("nan")
        return view

    def build_features(self, raw: pd.DataFrame) -> pd.DataFrame:
        """One row per node and delivery hour whose D-1 is known, with what was published by its issue time."""
        absent = sorted(set(self.nodes) - set(raw["node"].astype(str)))
        if raw.empty or absent:
            raise InsufficientDataError(
                f"{self.config.market}: no stored prices for node(s) {absent or self.nodes}; load them with "
                f"{INGEST_HINT[self.config.market]}")
        return pf.build_price_features(raw, self.nodes, self.config.market_tz, self.config.issue_hour_local,
                                       self.config.issue_minute_local)

    def feature_columns(self) -> list[str]:
        """Calendar, price and node columns, in order."""
        return pf.feature_columns(self.nodes)

    def drift_columns(self) -> list[str]:
        """The price inputs: calendar and node columns are fixed by the window's dates and nodes."""
        return list(pf.PRICE_FEATURES)

    def holdout_start(self, feats: pd.DataFrame) -> pd.Timestamp:
        """First delivery day of the holdout: `holdout_days` before the day after the last one."""
        last = pd.DatetimeIndex(feats[pf.DELIVERY_DATE]).max()
        return last - pd.Timedelta(days=self.config.holdout_days - 1)

    def split(self, feats: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Train on delivery days before the holdout, evaluate on the last `holdout_days`."""
        held = np.asarray(pd.DatetimeIndex(feats[pf.DELIVERY_DATE]) >= self.holdout_start(feats))
        if held.all() or not held.any():
            raise InsufficientDataError(f"{(~held).sum()} training and {held.sum()} held-out price rows")
        return feats[~held], feats[held]

    def xgb_params(self) -> dict[str, Any]:
        """Booster settings: the defaults with this configuration's overrides."""
        return {**default_params(), **self.config.xgb_params}

    def fit(self, train: pd.DataFrame) -> Fitted:
        """P10/P50/P90 booster on the training rows outside `exclude_periods`."""
        rows = train[~excluded(train[pf.DELIVERY_DATE], self.config.exclude_periods)]
        rows = rows[rows[pf.TARGET].notna()]
        started = time.perf_counter()
        model = fit_price_model(rows[self.feature_columns()], rows[pf.TARGET], rows[pf.DELIVERY_DATE],
                                self.config.xgb_params, self.config.conformal_days)
        return Fitted(
            model=model,
            params={**self.xgb_params(), "objective": "reg:quantileerror", "target_transform": "asinh",
                    "quantiles": "0.1,0.5,0.9", "conformal_days": self.config.conformal_days,
                    "band_margin_asinh": round(float(model.band_margin), 6)},
            train_rows=len(rows),
            train_start_utc=str(rows[pf.UTC].min()),
            train_end_utc=str(rows[pf.UTC].max()),
            fit_seconds=round(time.perf_counter() - started, 3),
        )

    def score(self, holdout: pd.DataFrame, predictions: Any) -> dict[str, float]:
        """MAE, RMSE and the MAE on the top 5 % actual hours, $/MWh."""
        if len(holdout) == 0:
            raise InsufficientDataError("no held-out prices to score")
        return price_report(holdout[pf.TARGET].to_numpy(dtype="float64"), np.asarray(predictions, dtype="float64"))

    def baseline_predictions(self, holdout: pd.DataFrame) -> np.ndarray:
        """The price of the same local hour on D-1."""
        return baselines.naive_forecast(holdout, "same_hour_d1")

    def interval_metrics(self, model: Any, holdout: pd.DataFrame) -> dict[str, float]:
        """Coverage of P10-P90, pinball loss and band width, and the same-hour-of-D-7 naive's scores."""
        y = holdout[pf.TARGET].to_numpy(dtype="float64")
        q = predict_quantiles(model, holdout[self.feature_columns()])
        out = band_report(y, q[P10].to_numpy(), q[P50].to_numpy(), q[P90].to_numpy())
        d7 = price_report(y, baselines.naive_forecast(holdout, "same_hour_d7"))
        return out | {f"naive_d7_{k}": v for k, v in d7.items()}

    def holdout_forecast(self, model: Any, holdout: pd.DataFrame) -> pd.DataFrame:
        """Node, hour, actual and the P10/P50/P90 band over the holdout."""
        q = predict_quantiles(model, holdout[self.feature_columns()])
        return pd.concat([holdout[[pf.NODE, pf.UTC, pf.LOCAL, pf.TARGET]], q], axis=1)

    def holdout_figures(self, model: Any, holdout: pd.DataFrame) -> dict[str, Any]:
        """Per node: the holdout's last two weeks (band, P50, D-1 baseline, actual) and MAE by local hour."""
        from gridflow.prices import plots  # imported late: matplotlib only where figures are drawn

        frame = self.holdout_forecast(model, holdout).assign(
            **{plots.BASELINE: self.baseline_predictions(holdout)})
        figures = {}
        for node, rows in frame.groupby(pf.NODE, sort=True, observed=True):
            title = f"{self.name} {node}"
            figures[f"plots/{node}_last_two_weeks.png"] = plots.last_weeks(rows, title, self.baseline_label)
            figures[f"plots/{node}_error_by_hour.png"] = plots.error_by_hour(rows, title, self.baseline_label)
        return figures

    def _backtest_origins(self, feats: pd.DataFrame) -> list[pd.Timestamp]:
        first = self.holdout_start(feats).replace(day=1)
        origins = [first - pd.offsets.MonthBegin(k) for k in range(self.config.backtest_folds, 0, -1)]
        start = pd.DatetimeIndex(feats[pf.DELIVERY_DATE]).min()
        return [o for o in origins if o > start]

    def backtest_parts(self, feats: pd.DataFrame) -> int:
        """One part per monthly origin before the holdout's month."""
        return len(self._backtest_origins(feats))

    def backtest_part(self, feats: pd.DataFrame, part: int) -> pd.DataFrame:
        """Month `part`: trained on everything before it, scored against both naive forecasts."""
        origin = self._backtest_origins(feats)[part]
        record, _ = forecast_month(feats, self.feature_columns(), origin, self.config.xgb_params,
                                   self.config.exclude_periods, self.config.conformal_days)
        return pd.DataFrame([{"fold": part, **record}])

    def backtest(self, feats: pd.DataFrame) -> pd.DataFrame:
        """Every monthly origin's record, oldest first."""
        parts = [self.backtest_part(feats, k) for k in range(self.backtest_parts(feats))]
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()

    def params(self) -> dict[str, Any]:
        """Market, nodes, issue time, holdout, exclusions and gate settings recorded with each run."""
        return {
            "market": self.config.market,
            "nodes": ",".join(self.nodes),
            "market_tz": self.config.market_tz,
            "issue_time_local": f"D-1 {self.config.issue_hour_local:02d}:{self.config.issue_minute_local:02d}",
            "holdout_days": self.config.holdout_days,
            "backtest_folds": self.config.backtest_folds,
            "exclude_periods": ";".join(f"{a}..{b}" for a, b in self.config.exclude_periods) or "none",
            "train_start": str(self.config.train_start),
            "gate_metric": self.gate.metric,
            "gate_min_relative_improvement": self.gate.min_relative_improvement,
        }
