"""A fleet of per-zone models of one use case: which to retrain, what each run decided, the report."""
