"""Day-ahead hourly load forecasting core: leakage-safe features, baselines, metrics, model, splits.

Everything here is pure (pandas/numpy/xgboost only): no I/O, no Prefect, no MLflow. The honest
contract is that a forecast for local day D has its information cutoff at 09:00 local on D-1 (the
deployment issues it at 09:30) and may only use load intervals that ended and weather vintages
issued by then; `features.build_day_ahead_features` and `weather_features.build_weather_features`
enforce that for every feature.
"""
