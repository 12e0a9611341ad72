"""Household consumption forecasting: next-day half-hourly kWh per meter and per feeder, from
interval meter data as known at the forecast's issue time (pure functions, no I/O)."""
