"""The load forecast without weather features: the model issued instead when a zone's weather
vintage is missing at issue time (`GRIDFLOW_LOAD_FORECAST__FALLBACK_MODEL=load_forecast_noweather`).

It is the same use case on the same settings section (`GRIDFLOW_LOAD_FORECAST__*`: zones, split,
cutoff), trained, gated and registered under its own name, with weather switched off.
"""

from __future__ import annotations

from gridflow.usecases.configs import LoadForecastConfig
from gridflow.usecases.load_forecast import LoadForecast


class LoadForecastNoWeather(LoadForecast):
    """Day-ahead hourly load forecast per zone from load and calendar only."""

    name = "load_forecast_noweather"
    settings_section = "load_forecast"

    def __init__(self, config: LoadForecastConfig | None = None) -> None:
        base = config if config is not None else LoadForecastConfig()
        # A fallback of the fallback would loop; the no-weather model needs no vintage to issue.
        super().__init__(base.model_copy(update={"use_weather": False, "fallback_model": None}))
