"""Shadow and A/B experiments: the challenger's live answers against the champion's on actuals, and
the recommendation settled through the same gate, approval and audit trail as a retrain."""
