"""Day-ahead hourly load forecasting core: leakage-safe features, baselines, metrics, model, splits.

Everything here is pure (pandas/numpy/xgboost only): no I/O, no Prefect, no MLflow. The honest
contract is that a forecast for local day D is issued at 10:00 local on D-1 and may only use load
intervals that ended by then; `features.build_day_ahead_features` enforces that for every feature.
"""
