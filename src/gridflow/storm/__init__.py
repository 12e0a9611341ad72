"""Storm response: weather alerts, the asset inventory, outage risk scoring and crew staging plans."""
