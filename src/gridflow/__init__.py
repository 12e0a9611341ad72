"""gridflow: retraining pipelines for utility ML models."""
