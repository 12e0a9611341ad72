"""Power plants: the pure parts of the `plant_output` use case (features, estimator, 5x2 CV)."""
