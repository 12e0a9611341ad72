"""What a use case is: the small spec the generic retrain flow needs to train, judge and promote."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd
from sqlalchemy.engine import Connection, Engine

from gridflow.monitoring.decision import MonitorPolicy
from gridflow.registry.gate import GateThresholds
from gridflow.usecases.configs import UseCaseConfig
from gridflow.usecases.naming import ZONE_SEPARATOR, zone_model_name

if TYPE_CHECKING:
    from gridflow.monitoring.types import Champion, Window


@dataclass(frozen=True)
class Fitted:
    """A fitted estimator with the parameters it was fitted with."""

    model: Any
    params: dict[str, Any]
    train_rows: int
    train_start_utc: str
    train_end_utc: str
    fit_seconds: float


@dataclass(frozen=True)
class Evaluation:
    """Challenger, champion and baseline scored on the same evaluation window."""

    window_start_utc: str
    window_end_utc: str
    rows: int
    challenger: dict[str, float]
    baseline: dict[str, float]
    champion: dict[str, float] | None = None
    champion_version: str | None = None
    champion_note: str | None = None
    backtest: list[dict[str, Any]] = field(default_factory=list)


class UseCase(ABC):
    """One model use case: dataset, validation suite, features, estimator, metrics and gate.

    Every hook the generic retrain and monitor flows and the CLI call is declared here; a
    subclass sets the class attributes without defaults and implements the abstract methods.
    """

    name: str  # registered model name in MLflow
    # The settings section read for this use case when it is not its name (a variant of another).
    settings_section: str | None = None
    dataset: str  # warehouse dataset the training data comes from
    suite: str  # expectation suite file in expectations/
    gate_metric: str  # the gate's primary metric, a key of `score()`
    greater_is_better: bool = False  # direction of `gate_metric`
    target: str = "target"
    config_type: type[UseCaseConfig] = UseCaseConfig
    # How the evaluation report and the CLI name the baseline column and the evaluated rows.
    baseline_label: str = "naive baseline"
    rows_label: str = "evaluation rows"
    # Keys of `score()` that `gridflow models` shows beside each alias; the gate metric when empty.
    headline_metrics: tuple[str, ...] = ()
    # Whether the use case can be trained per zone (`<name>.<zone>`): its config has a `zones` list.
    zoned: bool = False
    # What a reviewer must know the model does not do: printed in every version's model card.
    known_limits: tuple[str, ...] = ()

    def __init__(self, config: UseCaseConfig | None = None) -> None:
        self.config = config if config is not None else self.config_type()
        self.gate = GateThresholds(
            metric=self.gate_metric,
            greater_is_better=self.greater_is_better,
            min_relative_improvement=self.config.min_relative_improvement,
        )
        # Whether an operator must approve in the Prefect UI before `champion` moves, and how long
        # the run waits for that answer (no answer = reject).
        self.require_approval = self.config.require_approval
        self.approval_timeout_s = round(self.config.approval_timeout_hours * 3600)
        self.monitor = MonitorPolicy(**self.config.monitor.model_dump())

    def model_for_zone(self, zone: str) -> str:
        """The registered model that forecasts `zone`: `<name>.<zone>` when the use case is set up with a
        model per zone, else this one."""
        if self.zoned and getattr(self.config, "model_per_zone", False) and ZONE_SEPARATOR not in self.name:
            return zone_model_name(self.name, zone)
        return self.name

    def summary_metrics(self) -> tuple[str, ...]:
        """The metric names (keys of `score()`) that summarise a version: headline, else the gate metric."""
        return self.headline_metrics or (self.gate_metric,)

    @abstractmethod
    def load_dataset(self, conn: Connection) -> pd.DataFrame:
        """The raw training data from the warehouse."""

    @abstractmethod
    def validation_view(self, raw: pd.DataFrame) -> pd.DataFrame:
        """The raw data as its expectation suite checks it."""

    @abstractmethod
    def build_features(self, raw: pd.DataFrame) -> pd.DataFrame:
        """Feature rows with the target column; one row per prediction the model would make."""

    @abstractmethod
    def feature_columns(self) -> list[str]:
        """The model's input columns, in order."""

    @abstractmethod
    def split(self, features: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Training rows and evaluation (holdout) rows, split by time."""

    @abstractmethod
    def fit(self, train: pd.DataFrame) -> Fitted:
        """Fit the estimator on training rows."""

    @abstractmethod
    def score(self, holdout: pd.DataFrame, predictions: Any) -> dict[str, float]:
        """The use case's metrics for predictions on holdout rows."""

    @abstractmethod
    def baseline_predictions(self, holdout: pd.DataFrame) -> Any:
        """What a naive method predicts for the holdout rows; the gate's floor."""

    def backtest(self, features: pd.DataFrame) -> pd.DataFrame:
        """Optional rolling-origin backtest, one row per fold; empty when not defined."""
        return pd.DataFrame()

    # The backtest in independent parts, which the retrain flow fans out on its task runner. By
    # default the whole backtest is one part (a repeated cross-validation whose summary row needs
    # every fold); a use case whose folds stand alone splits it per fold.

    def backtest_parts(self, features: pd.DataFrame) -> int:
        """How many independent parts the backtest has on these rows."""
        return 1

    def backtest_part(self, features: pd.DataFrame, part: int) -> pd.DataFrame:
        """Part `part` of the backtest: its rows of the `backtest()` table."""
        return self.backtest(features)

    def params(self) -> dict[str, Any]:
        """Configuration worth recording with the run (split dates, horizon, thresholds)."""
        return {}

    def drift_columns(self) -> list[str]:
        """Feature columns whose distribution the drift monitor watches: every input unless narrowed."""
        return self.feature_columns()

    def interval_metrics(self, model: Any, holdout: pd.DataFrame) -> dict[str, float]:
        """Metrics of the model's prediction interval on the holdout (coverage, pinball); none by default."""
        return {}

    def holdout_forecast(self, model: Any, holdout: pd.DataFrame) -> pd.DataFrame | None:
        """The holdout's forecast with its band, per zone, for the plots logged with a retrain; None
        when the use case has no such picture."""
        return None

    def holdout_figures(self, model: Any, holdout: pd.DataFrame) -> dict[str, Any]:
        """Matplotlib figures of the model on the holdout by artifact file name (`plots/...png`),
        logged with the retrain's run; none by default."""
        return {}

    def issued_accuracy(self, engine: Engine, window: Window, champion: Champion) -> dict[str, Any] | None:
        """The champion's production error from what it issued over the monitor's window, or None
        (no issued product, or no issued row with actuals yet): the monitor then recomputes it."""
        return None

    def actuals(self, conn: Connection, keys: list[str]) -> pd.Series | None:
        """What actually happened for the scoring API's request keys (`prediction_log.request_key`),
        as a float Series indexed by key (keys without an actual yet are absent), for the A/B report;
        None when the use case has no actuals to compare its arms on."""
        return None
