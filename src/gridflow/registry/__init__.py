"""Model registry: the promotion gate (pure) and the MLflow adapter (the only MLflow importer)."""
