"""Settings: every store is a URL, with embedded defaults under one data folder.

Environment variables use the `GRIDFLOW_` prefix (e.g. `GRIDFLOW_WAREHOUSE_URL`); a `.env` file in
the working directory is read too. Nothing here holds a secret: API keys come from the environment
or Prefect Secret blocks at the point of use.
"""

from __future__ import annotations

from functools import cache, lru_cache
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, Field, create_model, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from gridflow.usecases.configs import ErcotConfig, NotifyConfig, StormConfig

DEFAULT_HOME = Path(".gridflow")
# One reading rule for every setting: `GRIDFLOW_` prefix, `__` between nested keys, `.env` too.
ENVIRONMENT = SettingsConfigDict(env_prefix="GRIDFLOW_", env_file=".env", env_nested_delimiter="__", extra="ignore")
SectionT = TypeVar("SectionT", bound=BaseModel)


class Settings(BaseSettings):
    """Where gridflow keeps its state and how it reaches its services."""

    model_config = ENVIRONMENT

    home: Path = Field(default=DEFAULT_HOME, description="Folder for every embedded store.")
    warehouse_url: str | None = Field(default=None, description="SQLAlchemy URL of the warehouse.")
    mlflow_tracking_uri: str | None = Field(default=None, description="MLflow tracking URI.")
    mlflow_artifact_root: str | None = Field(
        default=None, description="Artifact location for new experiments (embedded store only)."
    )
    prefect_api_url: str | None = Field(
        default=None, description="Prefect API; unset means the local server `gridflow` starts."
    )
    prefect_port: int = Field(default=4200, description="Port of the local Prefect server.")
    mlflow_ui_port: int = Field(default=5000, description="Port of the local MLflow UI.")
    api_port: int = Field(default=8000, description="Port of the local scoring API (`gridflow up`).")
    http_timeout_seconds: float = Field(
        default=60.0, gt=0, description="Timeout of each request to PJM, ERCOT and NWS (connect: at most 10 s)."
    )
    actor: str = Field(default="gridflow", description="Recorded as the actor of automatic decisions.")
    # Where fanned-out tasks (zones of a fleet retrain, backtest folds, storm scoring chunks) run:
    # `threads` in the flow's process, `dask` on a local cluster of processes started for the run,
    # or the address of an existing Dask scheduler (`tcp://scheduler:8786`).
    task_runner: str = Field(default="threads", description="threads | dask | tcp://host:port of a scheduler.")
    task_workers: int = Field(default=2, ge=1, description="Tasks at once: threads, or local Dask worker processes.")
    ercot: ErcotConfig = Field(default_factory=ErcotConfig)
    storm: StormConfig = Field(default_factory=StormConfig)
    notify: NotifyConfig = Field(default_factory=NotifyConfig)

    @model_validator(mode="after")
    def _fill_embedded_defaults(self) -> Settings:
        home = self.home.expanduser().resolve()
        self.home = home
        if self.warehouse_url is None:
            self.warehouse_url = f"sqlite:///{home / 'warehouse.db'}"
        if self.mlflow_tracking_uri is None:
            self.mlflow_tracking_uri = f"sqlite:///{home / 'mlflow.db'}"
        # An MLflow server keeps (or proxies) artifacts itself: a local folder would strand them.
        if self.mlflow_artifact_root is None and not self.mlflow_tracking_uri.startswith(("http://", "https://")):
            self.mlflow_artifact_root = (home / "mlartifacts").as_uri()
        return self

    @property
    def quarantine_dir(self) -> Path:
        """Folder where rejected input files are kept for inspection."""
        return self.home / "quarantine"

    @property
    def prefect_home(self) -> Path:
        """PREFECT_HOME of the local Prefect server and its result storage."""
        return self.home / "prefect"

    @property
    def mlflow_ui_url(self) -> str:
        """Base URL of the MLflow UI that links in reports point at."""
        return f"http://127.0.0.1:{self.mlflow_ui_port}"

    @property
    def api_url(self) -> str:
        """Base URL of the local scoring API."""
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def local_prefect_api_url(self) -> str:
        """API URL of the local Prefect server that `gridflow` starts."""
        return f"http://127.0.0.1:{self.prefect_port}/api"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()


def reset_settings() -> None:
    """Forget cached settings and sections (tests and the CLI change the environment)."""
    get_settings.cache_clear()
    _read_section.cache_clear()


def section(name: str, model: type[SectionT]) -> SectionT:
    """The settings of one named part (a use case) as `model`, read like every other setting:
    `GRIDFLOW_<NAME>__<FIELD>` variables and the `.env` file, defaults where neither says.

    Read once per process like `get_settings` (every task builds its use case); `reset_settings`
    forgets them."""
    return _read_section(name, model)


@cache
def _read_section(name: str, model: type[BaseModel]) -> Any:
    return getattr(_section_reader(name, model)(), name)


class _SectionBase(BaseSettings):
    model_config = ENVIRONMENT


@cache
def _section_reader(name: str, model: type[BaseModel]) -> type[BaseSettings]:
    # A settings class with the one field `name`, so nested variables parse exactly as in Settings.
    return create_model(f"{model.__name__}Section", __base__=_SectionBase,
                        **{name: (model, Field(default_factory=model))})
