"""Day-ahead market price forecasting: issue-time features, quantile model, metrics, rolling origin."""
